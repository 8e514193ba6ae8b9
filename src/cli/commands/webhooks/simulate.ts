import type { Delivery } from '../../../webhooks/index.js'
import type { CommandSpec } from '../../command.js'
import { durationOption, formatDuration, rateOption, wholeNumberOption } from '../../parse.js'
import { runSeed, sendAll, senderOptions, type SenderFlags } from './shared.js'

/** How much activity a run streams unless told: a minute at a help desk's busy pace. */
export const SIMULATE_DEFAULTS = Object.freeze({ durationMs: 60_000, perSecond: 5 })

interface SimulateOptions extends SenderFlags {
  readonly duration?: number
  readonly rate?: number
  readonly seed?: number
}

export const simulateCommand: CommandSpec<SimulateOptions> = {
  name: 'simulate',
  summary: "stream a help desk's activity (conversations opened, answered, labeled, assigned, closed) to a receiver at a rate",
  examples: ['ckit webhooks simulate --to http://127.0.0.1:3000/webhooks --secret s3cret --duration 60s --rate 5/s'],
  exitCodes: { ok: 'all delivered', usage: 'usage error', remote: 'a delivery failed after its retries' },
  define: (command) =>
    senderOptions(command)
      .option('--duration <duration>', `how long to send (default ${formatDuration(SIMULATE_DEFAULTS.durationMs)})`, durationOption('--duration'))
      .option('--rate <rate>', `deliveries per second (default ${SIMULATE_DEFAULTS.perSecond}/s)`, rateOption('--rate'))
      .option('--seed <n>', 'first story seed: the same seed sends the same bodies (default: a new one each run, printed in the summary)', wholeNumberOption('--seed', 0, 2 ** 31 - 1)),
  async run(_args, options, io) {
    const rate = options.rate ?? SIMULATE_DEFAULTS.perSecond
    const total = Math.max(1, Math.round(((options.duration ?? SIMULATE_DEFAULTS.durationMs) / 1000) * rate))
    const { webhookStory } = await import('../../../webhooks/index.js')
    const stories: Delivery[][] = []
    const first = runSeed(options)
    for (let seed = first.value, count = 0; count < total; seed++) {
      const story = (await webhookStory(seed)).slice(0, total - count).map(({ event, payload }) => ({ event, payload }))
      stories.push(story)
      count += story.length
    }
    // Several conversations at once, each in order, as a help desk's activity interleaves.
    return sendAll(io, stories, options, rate, first)
  },
}
