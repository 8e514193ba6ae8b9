import type { CommandGroup, CommandSpec } from '../command.js'
import { automateCommand } from './automate.js'
import { fetchCommand } from './fetch.js'
import { mockCommand } from './mock.js'
import { testConnectionCommand } from './test-connection.js'
import { renderCommand } from './render.js'
import { signCommand } from './sign.js'
import { validateCommand } from './validate.js'
import { webhooksCommand } from './webhooks/index.js'
import { pactCommand } from './pact/index.js'
import { conformanceCommand } from './conformance.js'
import { proxyCommand } from './proxy.js'
import { recordCommand } from './record.js'
import { playgroundCommand } from './playground.js'

/** Every command, in the order `ckit --help` lists them. */
export const COMMANDS: readonly (CommandSpec | CommandGroup)[] = [mockCommand, validateCommand, renderCommand, signCommand, fetchCommand, testConnectionCommand, automateCommand, conformanceCommand, proxyCommand, recordCommand, playgroundCommand, webhooksCommand, pactCommand]
