import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Option } from 'commander'
import { CkitError } from '../../../errors.js'
import { forwardableHeaders } from '../../../http/headers.js'
import { terminalSafe } from '../../../render/text.js'
import type { CommandSpec } from '../../command.js'
import { jsonLine } from '../../format.js'
import { serveUntilShutdown } from '../../io.js'
import { urlOption, wholeNumberOption } from '../../parse.js'
import { readFirstHeader } from '../../../signature/headers.js'
import { RECEIVER_DEFAULTS, SCHEME_NAMES, type SchemeName } from '../../../webhooks/defaults.js'
import { resolveSecret, SECRET_ENV } from '../sign.js'

const SIGNATURE_REASONS = new Set(['missing', 'malformed', 'mismatch', 'stale'])

/**
 * 🔧 The listener's bounds (docs/webhooks.md). A sender gets 10 s per attempt, so a request that
 * takes longer to arrive is no delivery; connections past the cap push out the oldest one that is
 * not being answered, so slow or idle connections cannot lock a real delivery out.
 */
export const LISTEN_DEFAULTS = Object.freeze({
  port: 4020,
  host: '127.0.0.1',
  maxConnections: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
})

/**
 * Keeps at most `max` connections open. A new one past the cap closes the oldest connection whose
 * delivery is not being verified or answered (one still sending headers or body, or idle between
 * requests); only when every connection is busy is the newcomer refused. Returns how a request
 * marks its connection busy until its answer is sent.
 */
function boundConnections(server: ReturnType<typeof createServer>, max: number, onFirstShed: () => void): (socket: Socket, done: Promise<unknown>) => void {
  const open = new Map<Socket, { busy: boolean }>()
  let warned = false
  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      if (!warned) {
        warned = true
        onFirstShed()
      }
      // A Map iterates in insertion order: the first idle one is the oldest.
      let oldestIdle: Socket | undefined
      for (const [candidate, state] of open) {
        if (!state.busy) {
          oldestIdle = candidate
          break
        }
      }
      if (oldestIdle === undefined) {
        socket.destroy()
        return
      }
      open.delete(oldestIdle)
      oldestIdle.destroy()
    }
    open.set(socket, { busy: false })
    socket.once('close', () => open.delete(socket))
  })
  return (socket, done) => {
    const state = open.get(socket)
    if (state === undefined) return
    state.busy = true
    void done.finally(() => {
      state.busy = false
    })
  }
}

interface ListenOptions {
  readonly port?: number
  readonly host?: string
  readonly secret?: string
  readonly scheme: SchemeName
  readonly tolerance?: number
  readonly replayGuard?: true
  readonly forward?: string
  readonly maxConnections?: number
  readonly json?: true
}

export const listenCommand: CommandSpec<ListenOptions> = {
  name: 'listen',
  summary: 'receive webhooks locally: one line per delivery with its signature and schema verdicts, optionally forwarded',
  examples: ['ckit webhooks listen --port 4020 --secret s3cret', 'ckit webhooks listen --secret s3cret --replay-guard --forward http://127.0.0.1:3000/webhooks'],
  define: (command) =>
    command
      .option('--port <port>', `port (default ${LISTEN_DEFAULTS.port}; 0 for any free port)`, wholeNumberOption('--port', 0, 65535))
      .option('--host <host>', `address to bind (default ${LISTEN_DEFAULTS.host})`)
      .option('--secret <secret>', `signing secret (default $${SECRET_ENV})`)
      .addOption(new Option('--scheme <scheme>', 'how deliveries are signed').choices([...SCHEME_NAMES]).default(RECEIVER_DEFAULTS.scheme))
      .option('--tolerance <seconds>', 'refuse deliveries whose timestamp is further from now (advisory for yetto: the header is unsigned)', wholeNumberOption('--tolerance', 0, 31_536_000))
      .option('--replay-guard', 'refuse a delivery seen before (409)')
      .option('--forward <url>', 'pass verified deliveries on, body and headers unchanged', urlOption('--forward'))
      .option('--max-connections <n>', `connections open at once; past it the oldest one not being answered is closed (default ${LISTEN_DEFAULTS.maxConnections})`, wholeNumberOption('--max-connections', 1, 100_000))
      .option('--json', 'one JSON line per delivery on stdout (after a first { "listening": url } line)')
      .addHelpText('after', '\nAnswers 204 for a verified, valid delivery (or what --forward answered), 4xx with { error, message } otherwise.\nStops on Ctrl-C (SIGINT) or SIGTERM, exit 0.'),
  async run(_args, options, io) {
    const { readRawBody, refusalBody, resolveReceiverOptions, tooLargeMessage, verifyDelivery, DELIVERY_DEFAULTS } = await import('../../../webhooks/index.js')
    const { postOnce } = await import('../../../webhooks/deliver.js')
    const receiver = resolveReceiverOptions({
      secret: resolveSecret(options, io),
      scheme: options.scheme,
      ...(options.tolerance !== undefined ? { toleranceSeconds: options.tolerance } : {}),
      replayGuard: options.replayGuard === true,
    })
    const forward = options.forward
    const json = options.json === true
    const server = createServer({ headersTimeout: LISTEN_DEFAULTS.headersTimeoutMs, requestTimeout: LISTEN_DEFAULTS.requestTimeoutMs, keepAliveTimeout: LISTEN_DEFAULTS.keepAliveTimeoutMs, connectionsCheckingInterval: 1000 }, (req, res) => {
      void (async () => {
        const time = new Date().toISOString()
        const answer = (status: number, body?: unknown) => {
          res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body))
        }
        if (req.method !== 'POST') return answer(405, refusalBody('method_not_allowed', 'webhook deliveries are POST requests'))
        const raw = await readRawBody(req, receiver.maxBodyBytes)
        // From here the work is ours (verify, forward, answer): this connection is not shed meanwhile.
        markBusy(req.socket, new Promise((resolve) => res.once('close', resolve)))
        if (raw === 'too_large') return answer(413, refusalBody('too_large', tooLargeMessage(receiver.maxBodyBytes)))
        const result = verifyDelivery(receiver, raw, req.headers)
        const signature = result.ok || !SIGNATURE_REASONS.has(result.reason) ? 'ok' : result.reason
        const schema = result.ok ? 'valid' : signature !== 'ok' ? 'unchecked' : result.reason === 'replayed' ? 'replayed' : `invalid ${result.errors?.[0]?.pointer || '/'}: ${result.errors?.[0]?.message ?? result.message}`
        // Unverified, for the log line only: the scheme names where they travel.
        const event = result.ok ? result.delivery.event : readFirstHeader(req.headers, receiver.scheme.eventHeader)
        const id = result.ok ? result.delivery.deliveryId : readFirstHeader(req.headers, receiver.scheme.idHeader)
        let status = result.ok ? 204 : result.status
        let forwarded: number | string | undefined
        if (result.ok && forward) {
          // Host and Content-Length are the forwarding request's own; hop-by-hop headers stay behind.
          const headers = forwardableHeaders(req.headers, ['host', 'content-length'])
          // The senders' POST: it settles within its timeout even when the downstream hangs up unread.
          const passed = await postOnce(forward, headers, raw, DELIVERY_DEFAULTS.timeoutMs)
          forwarded = passed.status ?? (passed.errorKind === 'timeout' ? 'timeout' : 'network error')
          status = passed.status ?? 502
        }
        if (result.ok) answer(status === 204 ? 204 : status)
        else answer(result.status, refusalBody(result.reason, result.message, result.errors))
        const record = { time, event: event ?? null, deliveryId: id ?? null, signature, schema, status, ...(forwarded !== undefined ? { forwarded } : {}), ...(result.ok ? {} : { reason: result.message }) }
        // Event and id come from unsigned headers, schema and reason may quote them: nothing of theirs may drive the terminal.
        if (json) // Header values arrive as latin1, so bytes 0x80–0x9f become C1 controls (U+009B is CSI).
        io.stdout.write(jsonLine(record))
        else io.stdout.write(terminalSafe(`${time}  ${String(event ?? '-').padEnd(24)} ${String(id ?? '-').padEnd(36)}  signature ${signature}  schema ${schema}  → ${status}${forwarded !== undefined ? ` (forwarded: ${forwarded})` : ''}`) + '\n')
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end()
      })
    })
    const maxConnections = options.maxConnections ?? LISTEN_DEFAULTS.maxConnections
    const markBusy = boundConnections(server, maxConnections, () =>
      io.stderr.write(`${maxConnections} connections are open (--max-connections): closing the oldest ones that are not being answered to make room\n`),
    )
    const host = options.host ?? LISTEN_DEFAULTS.host
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new CkitError('CKIT_CLI_USAGE', `cannot listen: ${error.message}`, { cause: error })))
      server.listen(options.port ?? LISTEN_DEFAULTS.port, host, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`
    io.stderr.write(`listening for ${options.scheme} webhooks on ${url} (any path)${forward ? `, forwarding verified ones to ${forward}` : ''}; Ctrl-C to stop\n`)
    if (json) io.stdout.write(`${JSON.stringify({ listening: url })}\n`)
    return serveUntilShutdown(io, () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    })
  },
}
