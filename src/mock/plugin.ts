import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CkitError } from '../errors.js'
import { resolveMockOptions, type MockOptions } from './options.js'
import { adminRoutes, ADMIN_PREFIX } from './plugins/admin.js'
import { connectionRoutes } from './plugins/connection.js'
import { docsRoutes } from './plugins/docs.js'
import { pagesOptions, type MockPages } from './pages.js'
import { SESSIONS_PREFIX } from './sessions.js'
import { createMockState, type MockState, type StateOf } from './state.js'

export interface MockPluginOptions extends MockOptions {
  /** Serve /docs and /openapi.json (default true). */
  readonly docs?: boolean
  /** Where the mock's routes live in the host (fastify's register option), e.g. `/mock`. */
  readonly prefix?: string
  /**
   * Pages for people, mounted under /__admin in a context of their own: pass `deskPlugin`
   * from `connection-kit/desk` for the preview and playground (`ckit mock` does). The mock
   * itself never loads them: the endpoint side does not import the help-desk side.
   */
  readonly desk?: MockPages
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The state of the session a /sessions/<id>/ request belongs to. */
    ckitSession: MockState | null
  }
}

/**
 * `/sessions/<id>/…` mirrors the root: the same connection route and admin API, each request
 * served from its session's state. The session is looked up after the admin API's guards (a
 * preHandler runs after every onRequest hook), so a refused admin call creates no session.
 */
async function sessionRoutes(app: FastifyInstance, opts: { state: MockState }): Promise<void> {
  const { sessions } = opts.state
  app.decorateRequest('ckitSession', null)
  app.addHook('preHandler', async (request, reply) => {
    const id = (request.params as { session: string }).session
    const found = sessions.lookup(id)
    if (!found.ok) {
      // Refused before the connection route could journal it: logged like the other routes.
      opts.state.logUnjournaled?.(request, reply)
      return reply.code(found.status).header('content-type', 'application/json').send(JSON.stringify({ error: found.error, message: found.message }))
    }
    sessions.hold(id, reply.raw)
    request.ckitSession = found.state
  })
  const stateOf: StateOf = (request) => request.ckitSession!
  await app.register(connectionRoutes, { state: opts.state, stateOf })
  await app.register(adminRoutes, { state: opts.state, stateOf, prefix: ADMIN_PREFIX })
}

/** The mock's routes: an encapsulated context, so its hooks, parsers and docs stay out of the host. */
async function mockRoutes(app: FastifyInstance, opts: { state: MockState; docs: boolean; desk?: MockPages }): Promise<void> {
  const { state } = opts
  await app.register(connectionRoutes, { state })
  await app.register(adminRoutes, { state, prefix: ADMIN_PREFIX })
  await app.register(sessionRoutes, { state, prefix: `${SESSIONS_PREFIX}/:session` })
  if (opts.desk) await app.register(opts.desk, { ...pagesOptions(state, app.prefix), prefix: ADMIN_PREFIX })
  if (opts.docs) await app.register(docsRoutes, { state, mountPrefix: app.prefix, ...(opts.desk ? { desk: opts.desk } : {}) })
}

/**
 * The mock customer endpoint as a fastify plugin, to mount in your own server. Options are
 * validated and data files loaded before any route exists, so a bad option fails registration.
 * Only the `ckitMock` decorator reaches the host (fastify-plugin); the routes live in their own
 * context under `prefix`, and their OpenAPI document is built apart from any swagger the host has.
 */
export const mockPlugin = fp(
  async (app: FastifyInstance, options: MockPluginOptions) => {
    const resolved = resolveMockOptions(withoutPluginOptions(options))
    // base64url request contexts are a path parameter of a few hundred bytes; fastify's default limit is 100.
    const config = app.initialConfig as { routerOptions?: { maxParamLength?: number }; maxParamLength?: number }
    const maxParamLength = config.routerOptions?.maxParamLength ?? config.maxParamLength ?? 100
    if (maxParamLength < resolved.maxUrlBytes) {
      throw new CkitError('CKIT_MOCK_INVALID_OPTION', `the host fastify instance limits path parameters to ${maxParamLength} characters; request contexts need more: create it with Fastify({ routerOptions: { maxParamLength: ${resolved.maxUrlBytes} } })`)
    }
    const state = createMockState(resolved)
    app.decorate('ckitMock', state)
    app.addHook('onClose', async () => {
      for (const controller of state.inFlight) controller.abort()
      for (const raw of state.held) raw.destroy()
    })
    // fastify-plugin runs this in the host's context, where `prefix` is not applied: pass it on.
    await app.register(mockRoutes, { state, docs: options.docs !== false, ...(options.desk ? { desk: options.desk } : {}), ...(options.prefix ? { prefix: options.prefix } : {}) })
  },
  { name: 'connection-kit-mock', fastify: '5.x' },
)

/** fastify's own register options are not mock options. */
function withoutPluginOptions(options: MockPluginOptions): MockOptions {
  const { docs: _docs, prefix: _prefix, desk: _studio, logLevel: _logLevel, logSerializers: _logSerializers, ...mock } = options as MockPluginOptions & { logLevel?: unknown; logSerializers?: unknown }
  return mock
}
