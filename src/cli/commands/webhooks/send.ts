import { CkitError } from '../../../errors.js'
import type { Delivery } from '../../../webhooks/index.js'
import type { CommandSpec } from '../../command.js'
import { EXIT } from '../../exit-codes.js'
import { issueLines } from '../../format.js'
import { readInput } from '../../io.js'
import { rateOption, wholeNumberOption } from '../../parse.js'
import { eventOption, requireEvent } from './events.js'
import { runSeed, sendAll, senderOptions, type SenderFlags } from './shared.js'

/** One delivery (or story) unless --count says more. */
const SEND_COUNT = 1

interface SendOptions extends SenderFlags {
  readonly event?: string
  readonly payload?: string
  readonly fake?: true
  readonly story?: true
  readonly seed?: number
  readonly count?: number
  readonly rate?: number
}

export const sendCommand: CommandSpec<SendOptions> = {
  name: 'send',
  summary: 'deliver signed webhooks to a receiver, with retries, a rate and a summary',
  examples: [
    'ckit webhooks send --to http://127.0.0.1:3000/webhooks --secret s3cret --event message.created --fake',
    'ckit webhooks send --to http://127.0.0.1:3000/webhooks --secret s3cret --story --count 10 --rate 5/s --scheme standard',
  ],
  exitCodes: { ok: 'all delivered', problems: 'invalid --payload', usage: 'usage error', remote: 'a delivery failed after its retries' },
  define: (command) =>
    senderOptions(command)
      .option('--event <name>', 'event name, e.g. message.created', eventOption)
      .option('--payload <file>', "the event's { \"yetto\": … } payload (- for standard input), sent byte for byte")
      .option('--fake', 'generate the payload from the contract')
      .option('--story', 'send a whole conversation, created to closed, in order')
      .option('--seed <n>', 'seed for --fake and --story: the same seed sends the same bodies (default: a new one each run, printed in the summary)', wholeNumberOption('--seed', 0, 2 ** 31 - 1))
      .option('--count <n>', `how many deliveries (or stories) (default ${SEND_COUNT})`, wholeNumberOption('--count', 1, 1_000_000))
      .option('--rate <rate>', 'start at most this many deliveries per second, e.g. 5/s', rateOption('--rate')),
  async run(_args, options, io) {
    const count = options.count ?? SEND_COUNT
    const generated = options.fake === true || options.story === true ? runSeed(options) : undefined
    const seed = generated?.value ?? 0
    const sources = [options.payload !== undefined, options.fake === true, options.story === true].filter(Boolean).length
    if (sources !== 1) throw new CkitError('CKIT_CLI_USAGE', 'give exactly one of --payload <file>, --fake or --story')
    const groups: Delivery[][] = []
    const deliveries: Delivery[] = []
    if (options.story) {
      const { webhookStory } = await import('../../../webhooks/index.js')
      for (let i = 0; i < count; i++) groups.push((await webhookStory(seed + i)).map(({ event, payload }) => ({ event, payload })))
    } else if (options.fake) {
      const event = requireEvent(options)
      const { fakePayload } = await import('../../../fake/index.js')
      for (let i = 0; i < count; i++) deliveries.push({ event, payload: await fakePayload(event, seed + i) })
    } else if (options.payload !== undefined) {
      const event = requireEvent(options)
      const { bytes, name } = await readInput(io, options.payload)
      const { validateText } = await import('../../../schema/index.js')
      const checked = validateText(bytes, 'webhook', { event })
      if (!checked.valid) {
        io.stderr.write(`${name}: invalid payload for ${event}\n${issueLines('error', checked.errors)}`)
        return EXIT.problems
      }
      // Sent byte for byte as in the file: the signature covers exactly what is sent.
      for (let i = 0; i < count; i++) deliveries.push({ event, payload: bytes.toString('utf8') })
    }
    // Single deliveries are independent; a story's events go in order.
    return sendAll(io, groups.length > 0 ? groups : deliveries.map((d) => [d]), options, options.rate, generated)
  },
}
