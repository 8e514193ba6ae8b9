import type { CommandSpec } from '../../command.js'
import { EXIT } from '../../exit-codes.js'
import { printJson } from '../../io.js'
import { wholeNumberOption } from '../../parse.js'
import { eventOption } from './events.js'

/** The seed when none is given: `ckit webhooks fake` prints the same payload every time. */
export const FAKE_SEED = 1

interface FakeOptions {
  readonly event?: string
  readonly story?: true
  readonly seed?: number
}

export const fakeCommand: CommandSpec<FakeOptions> = {
  name: 'fake',
  summary: 'print a realistic payload for an event (or a whole story with --story), valid against the contract',
  examples: ['ckit webhooks fake --event message.created --seed 7', 'ckit webhooks fake --story --seed 3'],
  define: (command) =>
    command
      .option('--event <name>', 'event name, e.g. conversation.created', eventOption)
      .option('--story', "a help desk's activity: one conversation from created to closed, as { event, payload } items")
      .option('--seed <n>', `seed (default ${FAKE_SEED}): the same seed gives the same output`, wholeNumberOption('--seed', 0, 2 ** 31 - 1)),
  async run(_args, options, io) {
    const seed = options.seed ?? FAKE_SEED
    if (options.story) {
      const { webhookStory } = await import('../../../webhooks/index.js')
      printJson(io, await webhookStory(seed))
      return EXIT.ok
    }
    const { requireEvent } = await import('./events.js')
    const { fakePayload } = await import('../../../fake/index.js')
    printJson(io, await fakePayload(requireEvent(options), seed))
    return EXIT.ok
  },
}
