import { hostname } from 'node:os'
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
/** 🔧 A pipe takes up to PIPE_BUF (4 KiB on Linux) in one piece: no write is larger, so a line from another process on the same pipe never lands inside one. */
const PIPE_BUF = 4096
/** 🔧 Bytes a stalled reader may leave waiting in the sink; lines beyond are counted and dropped. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024
/** 🔧 How long close() waits for a stalled reader before leaving what is queued. */
const END_WAIT_MS = 1000
const END_POLL_MS = 10

/** The end of the next write from `offset`: at most PIPE_BUF bytes, ending after a line where one ends within them. */
export function chunkEnd(data: Buffer, offset: number): number {
  if (data.length - offset <= PIPE_BUF) return data.length
  const cut = data.lastIndexOf(0x0a, offset + PIPE_BUF - 1)
  if (cut >= offset) return cut + 1
  // One line longer than PIPE_BUF cannot be written in one piece anyway: it goes whole.
  const next = data.indexOf(0x0a, offset + PIPE_BUF)
  return next === -1 ? data.length : next + 1
}

/**
 * Where the batches go: process.stderr, or a stream built the way Node builds it for another
 * descriptor (a test's pipe). Node writes to a file or terminal synchronously and to a pipe
 * without blocking (what the pipe cannot take yet waits in `writableLength`), in order with
 * everything else the process writes there.
 */
export interface LogSink {
  write(chunk: Uint8Array): unknown
  readonly writableLength: number
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** Every writer still open, for the one process 'exit' listener they share. */
const openWriters = new Set<BatchedWriter>()
let exitHooked = false
/** Sinks that failed (EPIPE: nobody reads stderr any more): one 'error' listener per sink, however many writers share it. */
const failedSinks = new WeakSet<LogSink>()
const hookedSinks = new WeakSet<LogSink>()

/**
 * Lines gathered in an array and handed to the sink a batch at a time (from 4 K characters or
 * 100 ms, whichever comes first), one Buffer per batch, each write at most PIPE_BUF bytes and
 * ending after a line. The sink's own writing replaced asynchronous fs.write calls: each went
 * through libuv's thread pool and back, and that round trip cost more CPU per request than
 * formatting the line (docs/performance.md). A sink that fails (EPIPE) stops logging rather
 * than the mock. A reader that stalls costs a bounded queue (then lines are counted and dropped,
 * and the count logged once it reads again) and at most END_WAIT_MS at close.
 */
export class BatchedWriter {
  #lines: string[] = []
  #chars = 0
  #dropped = 0
  #ended = false
  readonly #timer: NodeJS.Timeout

  constructor(private readonly sink: LogSink = process.stderr) {
    this.#timer = setInterval(() => this.flush(), LOG_FLUSH_MS).unref()
    if (!hookedSinks.has(sink)) {
      hookedSinks.add(sink)
      sink.on('error', () => failedSinks.add(sink))
    }
    openWriters.add(this)
    if (!exitHooked) {
      exitHooked = true
      // What is queued when the process exits is handed over then: a file or terminal takes it at once, a pipe with room too.
      process.on('exit', () => {
        for (const writer of openWriters) writer.flush()
      })
    }
  }

  write(line: string): boolean {
    this.#lines.push(line)
    this.#chars += line.length
    // After end() (a held connection cut while the server closes still has its line) nothing batches.
    if (this.#ended || this.#chars >= LOG_BATCH_CHARS) this.flush()
    return true
  }

  /** Hands what is queued to the sink; while a stalled reader leaves more than MAX_QUEUED_BYTES there, counts and drops it instead. */
  flush(): void {
    if (this.#lines.length === 0 && this.#dropped === 0) return
    if (failedSinks.has(this.sink) || this.sink.writableLength > MAX_QUEUED_BYTES) {
      this.#dropped += this.#lines.length
      this.#lines = []
      this.#chars = 0
      return
    }
    if (this.#dropped > 0) {
      this.#lines.unshift(`{"level":40,"time":${Date.now()},"dropped":${this.#dropped},"msg":"log lines dropped: stderr was not read fast enough"}\n`)
      this.#dropped = 0
    }
    const data = Buffer.from(this.#lines.join(''))
    this.#lines = []
    this.#chars = 0
    for (let offset = 0; offset < data.length; ) {
      const end = chunkEnd(data, offset)
      this.sink.write(data.subarray(offset, end))
      offset = end
    }
  }

  /** Hands over what is queued and waits (at most END_WAIT_MS) for the sink to take it: for close(). Later lines are written as they come. */
  async end(): Promise<void> {
    this.#ended = true
    clearInterval(this.#timer)
    openWriters.delete(this)
    this.flush()
    const deadline = Date.now() + END_WAIT_MS
    while (this.sink.writableLength > 0 && !failedSinks.has(this.sink) && Date.now() < deadline) await sleep(END_POLL_MS)
    // Lines dropped while the reader stalled, if it caught up since: the count is their only trace.
    this.flush()
  }
}

/** The fields of a request's one line, in the order they are written; undefined ones are left out. */
export interface RequestLine {
  readonly reqId: string
  readonly journalId?: number | undefined
  readonly method: string
  readonly url: string
  readonly reason?: string | undefined
  readonly status: number | null
  readonly ms: number | null
  readonly email?: string | undefined
  readonly scenario?: string | undefined
  readonly signature?: string | undefined
  readonly note?: string | undefined
}

/** The request line's level: pino's info. */
const INFO = pino.levels.values['info']!
const escapeNonAscii = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
/** The last string that needed escaping, and its JSON: the elided URL `/…` is in almost every line. */
let escapedIn = ''
let escapedOut = '""'

/**
 * A JSON string in ASCII alone: non-ASCII characters are written as \u escapes, so C1 controls
 * (U+009B opens a terminal escape sequence on some terminals), bidirectional overrides and line
 * separators in a requester's e-mail or a URL reach a terminal as text. A loop over the
 * characters, not a regex: it runs for every field of every request.
 */
export function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      if (text !== escapedIn) {
        escapedIn = text
        escapedOut = JSON.stringify(text).replace(/[\u007f-\uffff]/g, escapeNonAscii)
      }
      return escapedOut
    }
  }
  return `"${text}"`
}
const jsonNumber = (value: number | null): string => (value !== null && Number.isFinite(value) ? String(value) : 'null')

/**
 * A request's line, as pino writes a line (level, time, pid, hostname, the fields, msg), built
 * here: pino's general path (walking the object's keys, its serializer and formatter hooks)
 * cost several times what these few known fields need, on every request.
 */
export function formatRequestLine(head: string, line: RequestLine): string {
  let text = `{"level":${INFO},"time":${Date.now()}${head},"reqId":${jsonString(line.reqId)}`
  if (line.journalId !== undefined) text += `,"journalId":${line.journalId}`
  text += `,"method":${jsonString(line.method)},"url":${jsonString(line.url)}`
  if (line.reason !== undefined) text += `,"reason":${jsonString(line.reason)}`
  text += `,"status":${jsonNumber(line.status)},"ms":${jsonNumber(line.ms)}`
  if (line.email !== undefined) text += `,"email":${jsonString(line.email)}`
  if (line.scenario !== undefined) text += `,"scenario":${jsonString(line.scenario)}`
  if (line.signature !== undefined) text += `,"signature":${jsonString(line.signature)}`
  if (line.note !== undefined) text += `,"note":${jsonString(line.note)}`
  return `${text},"msg":"request completed"}\n`
}

export interface MockLog {
  readonly logger: Logger
  /** Logs a request's one line (at level info), to where the logger writes. */
  request(line: RequestLine): void
  /** Writes what is still queued; the logger writes nothing after. */
  end(): Promise<void>
}

/** The mock's logger for a `logger` option; undefined when logging is off. */
export function createMockLog(kind: LogKind | false | undefined): MockLog | undefined {
  if (!kind) return undefined
  const options = { level: 'info', serializers }
  // Logs go to stderr: stdout is for data (ckit mock --json).
  const writer = kind === 'json' ? new BatchedWriter() : undefined
  const transport = kind === 'pretty' ? pino.transport({ target: 'pino-pretty', options: PRETTY }) : undefined
  const destination = typeof kind === 'object' ? kind.stream : (transport ?? writer!)
  const logger = pino(options, destination)
  const head = `,"pid":${process.pid},"hostname":${jsonString(hostname())}`
  return {
    logger,
    request(line) {
      if (logger.levelVal <= INFO) destination.write(formatRequestLine(head, line))
    },
    end: async () => {
      await writer?.end()
      // pino-pretty runs in a worker thread with an exit listener of its own: both go when it ends.
      if (transport) {
        const closed = new Promise<void>((resolve) => transport.once('close', () => resolve()))
        transport.end()
        // Unref'd: once the worker has closed, this timer must not hold the process for the rest of the second.
        await Promise.race([closed, sleep(END_WAIT_MS, undefined, { ref: false })])
      }
    },
  }
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
    readonly log: MockLog,
    readonly request: FastifyRequest,
    readonly started: number,
  ) {}
}
const PENDING = Symbol('ckit.log-pending')
type LoggedResponse = ServerResponse & { [PENDING]?: Pending }

function logWhenOver(this: LoggedResponse): void {
  const { log, request, started } = this[PENDING]!
  log.request({ reqId: request.id, method: request.method, url: logUrl(request.url), status: this.headersSent ? this.statusCode : null, ms: Math.round((performance.now() - started) * 10) / 10 })
}

/**
 * One line per request, when its response is over. Customer-connection requests are logged from
 * their journal entry (it also sees resets and hangs, and knows the requester, scenario and
 * verdict); `journaled` tells which requests those are. fastify's own error lines stay: they go
 * through `request.log`, which is this logger.
 */
export class OneLinePerRequest extends LogController {
  constructor(
    private readonly log: MockLog,
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
    raw[PENDING] = new Pending(this.log, request, performance.now())
    raw.on('close', logWhenOver)
  }
  // Only called on routes with onResponse hooks (fastify's logger is off): the line above covers them.
  override requestCompleted(): void {}
  /** fastify's "Route … not found" carried the URL as sent, `?token=` included; the request's own line says it all. */
  override routeNotFound(): void {}
}
