import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Option } from 'commander'
import { CkitError } from '../../../errors.js'
import type { CommandSpec } from '../../command.js'
import { serveUntilShutdown } from '../../io.js'
import { urlOption, wholeNumberOption } from '../../parse.js'
import { SCHEME_CHOICES } from './shared.js'
import { resolveSecret } from '../sign.js'

const SIGNATURE_REASONS = new Set(['missing', 'malformed', 'mismatch', 'stale'])
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])

export const listenCommand: CommandSpec = {
  name: 'listen',
  summary: 'receive webhooks locally: one line per delivery with its signature and schema verdicts, optionally forwarded',
  examples: ['ckit webhooks listen --port 4020 --secret s3cret', 'ckit webhooks listen --secret s3cret --replay-guard --forward http://127.0.0.1:3000/webhooks'],
  define: (command) =>
    command
      .option('--port <port>', 'port (default 4020; 0 for any free port)', wholeNumberOption('--port', 0, 65535))
      .option('--host <host>', 'address to bind (default 127.0.0.1)')
      .option('--secret <secret>', 'signing secret (default $CKIT_SECRET)')
      .addOption(new Option('--scheme <scheme>', 'how deliveries are signed').choices([...SCHEME_CHOICES]).default('yetto'))
      .option('--tolerance <seconds>', 'refuse deliveries whose timestamp is further from now (advisory for yetto: the header is unsigned)', wholeNumberOption('--tolerance', 0, 31_536_000))
      .option('--replay-guard', 'refuse a delivery seen before (409)')
      .option('--forward <url>', 'pass verified deliveries on, body and headers unchanged', urlOption('--forward'))
      .option('--json', 'one JSON line per delivery on stdout (after a first { "listening": url } line)')
      .addHelpText('after', '\nAnswers 204 for a verified, valid delivery (or what --forward answered), 4xx with { error, message } otherwise.\nStops on Ctrl-C (SIGINT) or SIGTERM, exit 0.'),
  async run(_args, options, io) {
    const { readRawBody, resolveReceiverOptions, verifyDelivery } = await import('../../../webhooks/index.js')
    const receiver = resolveReceiverOptions({
      secret: resolveSecret(options, io),
      scheme: options['scheme'] as never,
      ...(options['tolerance'] !== undefined ? { toleranceSeconds: options['tolerance'] as number } : {}),
      replayGuard: options['replayGuard'] === true,
    })
    const forward = options['forward'] as string | undefined
    const json = options['json'] === true
    const server = createServer((req, res) => {
      void (async () => {
        const time = new Date().toISOString()
        const answer = (status: number, body?: unknown) => {
          res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body))
        }
        if (req.method !== 'POST') return answer(405, { error: 'method_not_allowed', message: 'webhook deliveries are POST requests' })
        const raw = await readRawBody(req, receiver.maxBodyBytes)
        if (raw === 'too_large') return answer(413, { error: 'too_large', message: `the body is over ${receiver.maxBodyBytes} bytes` })
        const result = verifyDelivery(receiver, raw, req.headers)
        const signature = result.ok || !SIGNATURE_REASONS.has(result.reason) ? 'ok' : result.reason
        const schema = result.ok ? 'valid' : signature !== 'ok' ? 'unchecked' : result.reason === 'replayed' ? 'replayed' : `invalid ${result.errors?.[0]?.pointer || '/'}: ${result.errors?.[0]?.message ?? result.message}`
        const event = result.ok ? result.delivery.event : (req.headers['x_yetto_event'] ?? req.headers['x-yetto-event'] ?? req.headers['x-github-event'])
        const id = result.ok ? result.delivery.deliveryId : (req.headers['x_yetto_delivery'] ?? req.headers['x-yetto-delivery'] ?? req.headers['webhook-id'] ?? req.headers['x-github-delivery'])
        let status = result.ok ? 204 : result.status
        let forwarded: number | string | undefined
        if (result.ok && forward) {
          try {
            const headers = Object.fromEntries(Object.entries(req.headers).filter(([name, value]) => !HOP_BY_HOP.has(name) && typeof value === 'string')) as Record<string, string>
            const passed = await fetch(forward, { method: 'POST', headers, body: raw, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
            forwarded = passed.status
            status = passed.status
          } catch (error) {
            forwarded = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network error'
            status = 502
          }
        }
        if (result.ok) answer(status === 204 ? 204 : status)
        else answer(result.status, { error: result.reason, message: result.message, ...(result.errors ? { errors: result.errors } : {}) })
        const record = { time, event: event ?? null, deliveryId: id ?? null, signature, schema, status, ...(forwarded !== undefined ? { forwarded } : {}), ...(result.ok ? {} : { reason: result.message }) }
        if (json) io.stdout.write(`${JSON.stringify(record)}\n`)
        else io.stdout.write(`${time}  ${String(event ?? '-').padEnd(24)} ${String(id ?? '-').padEnd(36)}  signature ${signature}  schema ${schema}  → ${status}${forwarded !== undefined ? ` (forwarded: ${forwarded})` : ''}\n`)
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end()
      })
    })
    const host = (options['host'] as string | undefined) ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new CkitError('CKIT_CLI_USAGE', `cannot listen: ${error.message}`, { cause: error })))
      server.listen((options['port'] as number | undefined) ?? 4020, host, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
    io.stderr.write(`listening for ${options['scheme'] as string} webhooks on ${url} (any path)${forward ? `, forwarding verified ones to ${forward}` : ''}; Ctrl-C to stop\n`)
    if (json) io.stdout.write(`${JSON.stringify({ listening: url })}\n`)
    return serveUntilShutdown(io, () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    })
  },
}
