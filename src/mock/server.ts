import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino'
import { pino } from 'pino'
import { loadGenerator } from './customers.js'
import { mockHandle, type MockHandle } from './handle.js'
import { SESSIONS_PREFIX } from './sessions.js'
import { mockPlugin, type MockPluginOptions } from './plugin.js'
import { isJournaled } from './plugins/connection.js'
import { CkitError } from '../errors.js'
import { MOCK_DEFAULTS, resolveMockOptions } from './options.js'
import { watchMockData, type ReloadResult } from './watch.js'

export interface StartMockOptions extends MockPluginOptions {
  /** Reload the data folder (`dataDir`) when it changes, all or nothing; each outcome is reported here. */
  readonly watch?: (result: ReloadResult) => void
  /** pino logging: false (default for the API), 'json' or 'pretty' on stderr, or JSON lines to a stream of yours. */
  readonly logger?: false | 'json' | 'pretty' | { readonly stream: { write(line: string): unknown } }
}

/**
 * The running mock: the root's handle (its `url` is the base URL of the customer-connection
 * route, e.g. http://127.0.0.1:4010/) and how to reach and stop the server.
 */
export interface RunningMock extends MockHandle {
  /** The server's origin, for /__admin, /docs and /openapi.json. */
  readonly origin: string
  /**
   * The secret to sign requests with. Always a string, so `startMock()` → `CustomerPanel` type-checks;
   * with `verify: false` the mock accepts any signature, this one included.
   */
  readonly secret: string
  /** Things the person starting the mock must know (e.g. an admin API open to the network); also logged. */
  readonly warnings: readonly string[]
  /**
   * The same handle for session `id` (`/sessions/<id>/`, created on first use); its `url` is the
   * session's connection URL. Throws CKIT_MOCK_INVALID_SESSION for an id that is not 1 to 64
   * letters, digits, _ or -, and CKIT_MOCK_TOO_MANY_SESSIONS when all sessions are busy.
   */
  session(id: string): MockHandle
  readonly app: FastifyInstance
  close(): Promise<void>
}

/** `?token=…` (the preview page's admin token) never reaches a log line. */
export const redactQueryToken = (url: string): string => url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]')

const serializers = {
  req(request: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) {
    return { method: request.method, url: redactQueryToken(request.url), hostname: request.hostname, remoteAddress: request.ip, remotePort: request.socket?.remotePort }
  },
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

/**
 * Headers are never logged (the request serializer has none), so there is no redaction pass to
 * pay for on every line; the only secret a URL can carry, the preview page's `?token=`, is cut out.
 */
function loggerOption(kind: StartMockOptions['logger']) {
  if (!kind) return false
  const base = { level: 'info', serializers }
  if (typeof kind === 'object') return { ...base, stream: kind.stream }
  // Logs go to stderr: stdout is for data (ckit mock --json).
  return kind === 'pretty'
    ? { ...base, transport: { target: 'pino-pretty', options: PRETTY } }
    : { ...base, stream: batchedStderr() }
}

/**
 * Asynchronous, batched writes to stderr: lines collect until 4 KiB or 100 ms have passed and leave
 * in one syscall, instead of one blocking write per line (pino flushes what is queued on exit and
 * stops on EPIPE). The batch holds Buffers: with strings, sonic-boom appends each line to the
 * pending string and measures that whole string's UTF-8 length again on every write, ~30,000
 * instructions per request at 4 KiB batches (callgrind); encoding each line once is ~3,000.
 */
function batchedStderr(): { write(line: string): void; flush(callback?: (error?: Error) => void): void } {
  const destination = pino.destination({ dest: 2, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS, contentMode: 'buffer' })
  return {
    write: (line) => void destination.write(Buffer.from(line) as unknown as string),
    flush: (callback) => destination.flush(callback),
  }
}

/**
 * fastify's two lines per request give way to one: customer-connection requests are logged from
 * their journal entry (logRequests), every other route here when fastify has sent its response.
 * Here rather than in an onResponse hook: a hook runs on every route, the journaled one included,
 * and reading `request.routeOptions` to skip it built an object per request. Error lines stay.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(_error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    if (isJournaled(reply.raw)) return
    request.server.log.info({ reqId: request.id, method: request.method, url: logUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed')
  }
}

/**
 * `request.log` as fastify gives it to every request: pino's child (which serialises its
 * `reqId` binding when made) is built the first time something logs through it. fastify makes
 * one per request, and on the hot path nothing logs through it: the request line comes from the
 * journal entry.
 */
class LazyChildLogger implements FastifyBaseLogger {
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

/**
 * Customer-connection requests are logged from their journal entry when the response is over
 * (it also sees resets and hangs, and knows the requester, scenario and signature verdict).
 */
function logRequests(app: FastifyInstance): void {
  // A decoded context is logged as its reason (the journal has all of it): the base64url segment
  // was two thirds of every line's bytes. An undecodable one is logged as sent, to debug it.
  const { basePath } = app.ckitMock.options
  const elided = `${basePath === '/' ? '' : basePath}/…`
  app.ckitMock.requestLog = (entry, reqId) => {
    app.log.info({ reqId, journalId: entry.id, method: entry.method, url: entry.context ? elided : logUrl(entry.path), reason: entry.context?.reason, status: entry.status, ms: entry.latencyMs, email: entry.email, scenario: entry.scenario, signature: entry.signature, ...(entry.note ? { note: entry.note } : {}) }, 'request completed')
  }
}

const logUrl = (url: string): string => (url.includes('?') ? redactQueryToken(url) : url)

const GENERATOR_WARM_UP_DELAY_MS = 1000
/** 🔧 docs/mock.md: a request's log line appears within this long, or sooner under load. */
const LOG_FLUSH_MS = 100
const LOG_BATCH_BYTES = 4096

/** A standalone fastify server around the mock plugin (not listening yet). */
export async function buildMockServer(options: StartMockOptions = {}): Promise<FastifyInstance> {
  const { logger, ...pluginOptions } = options
  const app = Fastify({
    logger: loggerOption(logger),
    // Hung and dripping connections must not keep close() waiting.
    forceCloseConnections: true,
    // base64url request contexts are a few hundred characters; the default limit is 100.
    routerOptions: { maxParamLength: resolveMockOptions(pluginOptions).maxUrlBytes },
    bodyLimit: 1024 * 1024, // 1 MiB: admin scenario documents
    return503OnClosing: true,
    logController: new OneLinePerRequest(),
    childLoggerFactory: (logger, bindings, childOptions) => new LazyChildLogger(logger, bindings, childOptions),
  })
  await app.register(mockPlugin, pluginOptions)
  if (logger) logRequests(app)
  return app
}

/** Starts the mock and resolves once it is listening (port 0 picks a free port). For tests and scripts. */
export async function startMock(options: StartMockOptions = {}): Promise<RunningMock> {
  const { watch: onReload, ...mockOptions } = options
  const resolved = resolveMockOptions(mockOptions)
  if (onReload !== undefined && resolved.dataDir === undefined) throw new CkitError('CKIT_MOCK_INVALID_OPTION', 'watching needs a data folder of your own (dataDir): the shipped defaults do not change')
  const app = await buildMockServer(mockOptions)
  await app.listen({ port: resolved.port, host: resolved.host })
  // Warm the customer generator once start-up is over: evaluating Faker's modules blocks the event
  // loop for ~250 ms, which delayed the first answer even when it needed no generated customer.
  // A request that does need one before then loads it on the spot.
  setTimeout(() => void loadGenerator(), GENERATOR_WARM_UP_DELAY_MS).unref()
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : resolved.port
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host
  const origin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`
  const warnings: string[] = []
  if ((resolved.host === '0.0.0.0' || resolved.host === '::') && resolved.adminToken === undefined) {
    // The playground's live fetch stays off here (it would fetch any URL for anyone: SSRF) until a token is set.
    warnings.push(`the admin API (/__admin: scenarios, journal, reset) is reachable from the network on ${resolved.host} without a token; set adminToken or bind 127.0.0.1. Until then the playground, where mounted (ckit mock), fetches no URLs (POST /__admin/playground/api/fetch answers 403)`)
  }
  for (const warning of warnings) app.log.warn(warning)
  const root = app.ckitMock
  const stopWatching = onReload ? watchMockData(app.ckitMock, resolved.dataDir!, onReload) : undefined
  const route = resolved.basePath === '/' ? '/' : `${resolved.basePath}/`
  return {
    ...mockHandle(() => root, `${origin}${route}`),
    session: (id) => {
      root.sessions.get(id) // refused ids and a full house fail here, not at first use
      return mockHandle(() => root.sessions.get(id), `${origin}${SESSIONS_PREFIX}/${id}${route}`)
    },
    warnings,
    origin,
    secret: resolved.secret ?? MOCK_DEFAULTS.secret!,
    app,
    close: () => {
      stopWatching?.()
      return app.close()
    },
  }
}
