import Fastify, { type FastifyInstance } from 'fastify'
import { loadGenerator } from './customers.js'
import { mockHandle, type MockHandle } from './handle.js'
import { SESSIONS_PREFIX } from './sessions.js'
import { mockPlugin, type MockPluginOptions } from './plugin.js'
import { isJournaledRequest } from './plugins/connection.js'
import { createMockLog, LazyChildLogger, logUrl, OneLinePerRequest, type LogKind, type MockLog } from './log.js'
import { CkitError } from '../errors.js'
import { MOCK_DEFAULTS, resolveMockOptions } from './options.js'
import { watchMockData, type ReloadResult } from './watch.js'

export interface StartMockOptions extends MockPluginOptions {
  /** Reload the data folder (`dataDir`) when it changes, all or nothing; each outcome is reported here. */
  readonly watch?: (result: ReloadResult) => void
  /** pino logging: false (default for the API), 'json' or 'pretty' on stderr, or JSON lines to a stream of yours. */
  readonly logger?: false | LogKind
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

const GENERATOR_WARM_UP_DELAY_MS = 1000

/**
 * Customer-connection requests are logged from their journal entry when the response is over.
 * A decoded context is logged as its reason (the journal has all of it): the base64url segment
 * was two thirds of every line's bytes. An undecodable one is logged as sent, to debug it.
 */
function logRequests(app: FastifyInstance, log: MockLog): void {
  const { basePath } = app.ckitMock.options
  const elided = `${basePath === '/' ? '' : basePath}/…`
  app.ckitMock.requestLog = (entry, reqId) => {
    log.request({ reqId, journalId: entry.id, method: entry.method, url: entry.context ? elided : logUrl(entry.path), reason: entry.context?.reason, status: entry.status, ms: entry.latencyMs, email: entry.email, scenario: entry.scenario, signature: entry.signature, note: entry.note || undefined })
  }
}

/** A standalone fastify server around the mock plugin (not listening yet). */
export async function buildMockServer(options: StartMockOptions = {}): Promise<FastifyInstance> {
  const { logger, ...pluginOptions } = options
  const log = createMockLog(logger)
  const controller = log ? new OneLinePerRequest(log, isJournaledRequest) : undefined
  const app = Fastify({
    // fastify's logger stays off even when the mock logs (log.ts says why); request.log and app.log are the mock's.
    logger: false,
    // Hung and dripping connections must not keep close() waiting.
    forceCloseConnections: true,
    // base64url request contexts are a few hundred characters; the default limit is 100.
    routerOptions: { maxParamLength: resolveMockOptions(pluginOptions).maxUrlBytes },
    bodyLimit: 1024 * 1024, // 1 MiB: admin scenario documents
    return503OnClosing: true,
    ...(log && controller
      ? {
          logController: controller,
          childLoggerFactory: (_nullLogger, bindings, childOptions) => new LazyChildLogger(log.logger, bindings, childOptions),
        }
      : {}),
  })
  if (log) {
    app.log = log.logger
    // After the server's own onClose work: lines logged while it closes still leave.
    app.addHook('onClose', () => log.end())
  }
  await app.register(mockPlugin, pluginOptions)
  if (log) logRequests(app, log)
  if (controller) app.ckitMock.logUnjournaled = (request, reply) => controller.follow(request, reply)
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
