import { write, writeSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions, LogFn, Logger } from 'pino'
import { pino } from 'pino'

/**
 * The standalone mock's log: a pino instance of its own, not fastify's logger. With fastify's
 * logger on, every request paid for a child logger, two response listeners and fastify's own
 * completion line; with it off, the mock writes exactly one line per request, from the journal
 * entry on the customer-connection route and from one shared listener on every other route.
 * `request.log` and `app.log` still work: they are this logger (with the request id bound).
 */
export type LogKind = 'json' | 'pretty' | { readonly stream: { write(line: string): unknown } }

/** `?token=…` (the preview page's admin token, whose name fastify also takes percent-encoded) never reaches a log line, up to the next `&`. */
export const redactQueryToken = (url: string): string => url.replace(/([?&](?:t|%74)(?:o|%6f)(?:k|%6b)(?:e|%65)(?:n|%6e)=)[^&]*/gi, '$1[redacted]')
export const logUrl = (url: string): string => (url.includes('?') ? redactQueryToken(url) : url)

/**
 * What fastify's error lines pass (`{ req, res, err }`): the request without its headers (so
 * there is no redaction pass to pay for and no signature or bearer token to leak), the status.
 */
const serializers = {
  req(request: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) {
    return { method: request.method, url: redactQueryToken(request.url), hostname: request.hostname, remoteAddress: request.ip, remotePort: request.socket?.remotePort }
  },
  res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
  err: pino.stdSerializers.err,
}

/** On a terminal a request is one line: `GET /… 200 3.1 ms kelly@example.com ok`; other log lines keep their fields. */
const REQUEST_FIELDS = ['reqId', 'journalId', 'method', 'url', 'reason', 'status', 'ms', 'email', 'scenario', 'signature', 'note']
const PRETTY = {
  colorize: true,
  translateTime: 'HH:MM:ss',
  ignore: ['pid', 'hostname', ...REQUEST_FIELDS].join(','),
  messageFormat: '{msg}{if method}: {method} {url} {status} {ms} ms{end}{if email} {email}{end}{if scenario} {scenario}{end}{if signature} signature {signature}{end}{if note} ({note}){end}',
  destination: 2,
}

/** 🔧 docs/mock.md: a request's log line appears within this long, or sooner under load. */
export const LOG_FLUSH_MS = 100
/** Queued characters that start a write before the interval is up. */
const LOG_BATCH_CHARS = 4096
const EAGAIN_RETRY_MS = 10
/** For a synchronous wait while a full pipe drains (Atomics.wait on a value that never changes). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4))

/** 🔧 A pipe takes up to PIPE_BUF (4 KiB on Linux) in one piece: no write is larger, so a line from elsewhere (a banner, a reload notice) never lands inside one. */
const PIPE_BUF = 4096
/** 🔧 Lines queued while nobody reads stderr, at most (characters); later ones are counted and dropped. */
const MAX_QUEUED_CHARS = 4 * 1024 * 1024
/** 🔧 How long close() and exit wait for a stalled reader before dropping what is queued. */
const END_WAIT_MS = 1000

/** The end of the next write from `offset`: at most PIPE_BUF bytes, ending after a line where one ends within them. */
export function chunkEnd(data: Buffer, offset: number): number {
  if (data.length - offset <= PIPE_BUF) return data.length
  const cut = data.lastIndexOf(0x0a, offset + PIPE_BUF - 1)
  if (cut >= offset) return cut + 1
  // One line longer than PIPE_BUF cannot be written in one piece anyway: it goes whole.
  const next = data.indexOf(0x0a, offset + PIPE_BUF)
  return next === -1 ? data.length : next + 1
}

/** Every writer still open, for the one process 'exit' listener they share. */
const openWriters = new Set<BatchedWriter>()
let exitHooked = false

/**
 * Lines gathered in an array and written to a file descriptor asynchronously, a batch at a time
 * (from 4 K characters or 100 ms, whichever comes first). A Buffer is made once per batch: made
 * per line (as sonic-boom needs to avoid measuring its whole pending string on every write) it
 * was a measurable share of each request. Each write is at most PIPE_BUF bytes and ends after a
 * line. A full non-blocking pipe (EAGAIN) is retried; any other error (EPIPE: nobody reads
 * stderr) stops logging rather than the mock. A reader that stalls costs a bounded queue (then
 * lines are counted and dropped, and the count logged once it reads again) and at most
 * END_WAIT_MS at close or exit.
 */
export class BatchedWriter {
  #lines: string[] = []
  #chars = 0
  #dropped = 0
  #inFlight: Promise<void> | undefined
  #broken = false
  #ended = false
  readonly #timer: NodeJS.Timeout

  constructor(private readonly fd: number) {
    this.#timer = setInterval(() => this.#flush(), LOG_FLUSH_MS).unref()
    openWriters.add(this)
    if (!exitHooked) {
      exitHooked = true
      // What is queued when the process exits is written synchronously, like pino's own destinations.
      process.on('exit', () => {
        for (const writer of openWriters) writer.flushSync()
      })
    }
  }

  write(line: string): boolean {
    if (this.#broken) return true
    if (this.#chars + line.length > MAX_QUEUED_CHARS) {
      this.#dropped++
      return true
    }
    this.#lines.push(line)
    this.#chars += line.length
    // After end() (a held connection cut while the server closes still has its line) nothing batches.
    if (this.#ended) {
      if (this.#inFlight === undefined) this.flushSync()
    } else if (this.#chars >= LOG_BATCH_CHARS) this.#flush()
    return true
  }

  /** The queued lines as one Buffer, after a line saying how many were dropped if any were. */
  #take(): Buffer {
    if (this.#dropped > 0) {
      this.#lines.unshift(`{"level":40,"time":${Date.now()},"dropped":${this.#dropped},"msg":"log lines dropped: stderr was not read fast enough"}\n`)
      this.#dropped = 0
    }
    const data = Buffer.from(this.#lines.join(''))
    this.#lines = []
    this.#chars = 0
    return data
  }

  #flush(): void {
    if (this.#inFlight !== undefined || this.#lines.length === 0 || this.#broken || this.#ended) return
    this.#inFlight = this.#out(this.#take()).then(() => {
      this.#inFlight = undefined
      if (this.#chars >= LOG_BATCH_CHARS) this.#flush()
    })
  }

  async #out(data: Buffer): Promise<void> {
    let offset = 0
    while (offset < data.length && !this.#broken) {
      const end = chunkEnd(data, offset)
      try {
        offset += await new Promise<number>((resolve, reject) => write(this.fd, data, offset, end - offset, null, (error, written) => (error ? reject(error) : resolve(written))))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') this.#broken = true
        // Given up at close or exit: the reader has stalled for END_WAIT_MS.
        else if (this.#ended && !openWriters.has(this)) return
        else await sleep(EAGAIN_RETRY_MS)
      }
    }
  }

  /** Waits (at most END_WAIT_MS) for the write under way, then writes what is queued: for close(). Later lines are written as they come. */
  async end(): Promise<void> {
    this.#ended = true
    clearInterval(this.#timer)
    const deadline = Date.now() + END_WAIT_MS
    while (this.#inFlight !== undefined && Date.now() < deadline) await Promise.race([this.#inFlight, sleep(EAGAIN_RETRY_MS * 5)])
    openWriters.delete(this)
    if (this.#inFlight === undefined) this.flushSync()
  }

  /** The queued lines, synchronously (a write under way is the operating system's by then); gives up after END_WAIT_MS of a full pipe. */
  flushSync(): void {
    if (this.#lines.length === 0 && this.#dropped === 0) return
    const data = this.#take()
    const deadline = Date.now() + END_WAIT_MS
    let offset = 0
    while (offset < data.length && !this.#broken) {
      try {
        offset += writeSync(this.fd, data, offset, chunkEnd(data, offset) - offset)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) this.#broken = true
        else Atomics.wait(PAUSE, 0, 0, EAGAIN_RETRY_MS)
      }
    }
  }
}

export interface MockLog {
  readonly logger: Logger
  /** Writes what is still queued; the logger writes nothing after. */
  end(): Promise<void>
}

/** The mock's logger for a `logger` option; undefined when logging is off. */
export function createMockLog(kind: LogKind | false | undefined): MockLog | undefined {
  if (!kind) return undefined
  const options = { level: 'info', serializers }
  if (typeof kind === 'object') return { logger: pino(options, kind.stream), end: async () => {} }
  // Logs go to stderr: stdout is for data (ckit mock --json).
  if (kind === 'pretty') {
    const logger = pino({ ...options, transport: { target: 'pino-pretty', options: PRETTY } })
    return { logger, end: async () => {} }
  }
  const writer = new BatchedWriter(2)
  return { logger: pino(options, writer), end: () => writer.end() }
}

/**
 * `request.log` as fastify gives it to every request: pino's child (which serialises its
 * `reqId` binding when made) is built the first time something logs through it. fastify makes
 * one per request, and on the hot path nothing logs through it: the request line comes from the
 * journal entry.
 */
export class LazyChildLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get #real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options))
  }
  get level(): string {
    return this.#real.level
  }
  set level(level: string) {
    this.#real.level = level
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real.child(bindings, options)
  }
  // Methods on the prototype, not arrow-function fields: fields built seven closures per request.
  fatal(...args: Parameters<LogFn>): void {
    this.#real.fatal(...args)
  }
  error(...args: Parameters<LogFn>): void {
    this.#real.error(...args)
  }
  warn(...args: Parameters<LogFn>): void {
    this.#real.warn(...args)
  }
  info(...args: Parameters<LogFn>): void {
    this.#real.info(...args)
  }
  debug(...args: Parameters<LogFn>): void {
    this.#real.debug(...args)
  }
  trace(...args: Parameters<LogFn>): void {
    this.#real.trace(...args)
  }
  silent(...args: Parameters<LogFn>): void {
    this.#real.silent(...args)
  }
}

/** What the shared listener needs to log a request that is not journaled; kept on the raw response. */
class Pending {
  constructor(
    readonly logger: Logger,
    readonly request: FastifyRequest,
    readonly started: number,
  ) {}
}
const PENDING = Symbol('ckit.log-pending')
type LoggedResponse = ServerResponse & { [PENDING]?: Pending }

function logWhenOver(this: LoggedResponse): void {
  const { logger, request, started } = this[PENDING]!
  logger.info({ reqId: request.id, method: request.method, url: logUrl(request.url), status: this.headersSent ? this.statusCode : null, ms: Math.round((performance.now() - started) * 10) / 10 }, 'request completed')
}

/**
 * One line per request, when its response is over. Customer-connection requests are logged from
 * their journal entry (it also sees resets and hangs, and knows the requester, scenario and
 * verdict); `journaled` tells which requests those are. fastify's own error lines stay: they go
 * through `request.log`, which is this logger.
 */
export class OneLinePerRequest extends LogController {
  constructor(
    private readonly logger: Logger,
    private readonly journaled: (request: FastifyRequest) => boolean,
  ) {
    super()
  }
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.journaled(request)) this.follow(request, reply)
  }
  /** Logs the request when its response is over (once, however often asked). */
  follow(request: FastifyRequest, reply: FastifyReply): void {
    const raw = reply.raw as LoggedResponse
    if (raw[PENDING] !== undefined) return
    raw[PENDING] = new Pending(this.logger, request, performance.now())
    raw.on('close', logWhenOver)
  }
  // Only called on routes with onResponse hooks (fastify's logger is off): the line above covers them.
  override requestCompleted(): void {}
  /** fastify's "Route … not found" carried the URL as sent, `?token=` included; the request's own line says it all. */
  override routeNotFound(): void {}
}
