import { resolve } from 'node:path'
import type { CommandSpec } from '../command.js'
import { serveUntilShutdown } from '../io.js'
import { collect, urlOption, wholeNumberOption } from '../parse.js'
import { printVerdict } from './proxy.js'
import { PROXY_DEFAULTS } from '../../desk/defaults.js'

interface RecordCommandOptions {
  readonly upstream: string
  readonly out: string
  readonly redact?: string[]
  readonly force?: true
  readonly secret?: string
  readonly port?: number
  readonly json?: true
}

export const recordCommand: CommandSpec<RecordCommandOptions> = {
  name: 'record',
  summary: 'record real answers through the proxy as mock fixtures, to replay with ckit mock --data',
  examples: ['ckit record --upstream https://crm.example.com/yetto --out ./recorded --redact /customer/email --redact /customer/phone'],
  define: (command) =>
    command
      .requiredOption('--upstream <url>', 'the endpoint to record, as configured in the help desk', urlOption('--upstream'))
      .requiredOption('--out <dir>', 'the mock data folder to write: customers/<email>.json, sections.json, customer.schema.json')
      .option('--redact <pointer>', 'a JSON pointer from the response root to replace with "[redacted]", like /customer/email or /sections/0/href (repeatable; one that matches nothing is warned about)', collect)
      .option('--force', 'overwrite customers already recorded (replaced by rename: a symlink there is replaced, not followed)')
      .option('--secret <secret>', 'the signing secret: checked on requests; an answer whose files would contain it (or a signature) is not written')
      .option('--port <port>', `port (default ${PROXY_DEFAULTS.port}; 0 for any)`, wholeNumberOption('--port', 0, 65535))
      .option('--json', 'one JSON line per exchange on stdout')
      .addHelpText('after', '\nSend requests through it (the help desk, ckit fetch …); then: ckit mock --data <dir>. Stops on Ctrl-C, exit 0.'),
  async run(_args, options, io) {
    const { createRecorder, startProxy } = await import('../../desk/index.js')
    const json = options.json === true
    const dir = resolve(io.cwd, options.out)
    const record = createRecorder({ dir, redact: (options.redact) ?? [], force: options.force === true, ...(options.secret ? { secret: options.secret } : {}) })
    const proxy = await startProxy({
      upstream: options.upstream,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.secret ? { secret: options.secret } : {}),
      onExchange: (verdict, response, request) => {
        const outcome = record(verdict, response, request)
        for (const pointer of outcome.unmatched ?? []) io.stderr.write(`warning: --redact ${pointer} matched nothing in the answer for ${verdict.email ?? '?'} (pointers start at the response root: /customer/<key>)\n`)
        printVerdict(io, verdict, json, 'saved' in outcome ? `  saved ${outcome.saved}` : `  not saved: ${outcome.reason}`)
      },
    })
    io.stderr.write(`recording ${proxy.url} → ${options.upstream} into ${dir}; Ctrl-C to stop\n`)
    if (json) io.stdout.write(`${JSON.stringify({ listening: proxy.url })}\n`)
    return serveUntilShutdown(io, () => proxy.close())
  },
}
