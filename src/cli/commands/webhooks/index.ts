import type { CommandGroup } from '../../command.js'
import { fakeCommand } from './fake.js'
import { listenCommand } from './listen.js'
import { probeCommand } from './probe.js'
import { sendCommand } from './send.js'
import { simulateCommand } from './simulate.js'
import { specCommand } from './spec.js'

export const webhooksCommand: CommandGroup = {
  name: 'webhooks',
  summary: 'webhooks: fake payloads, send signed deliveries with retries, listen, simulate activity, probe a receiver',
  examples: ['ckit webhooks listen --secret s3cret', 'ckit webhooks send --to http://127.0.0.1:4020/ --secret s3cret --story', 'ckit webhooks probe --to http://127.0.0.1:3000/webhooks --secret s3cret'],
  subcommands: [fakeCommand, sendCommand, listenCommand, simulateCommand, probeCommand, specCommand],
}
