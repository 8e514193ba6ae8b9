import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CkitError } from '../errors.js'
import { resolveMockOptions, type MockOptions } from './options.js'
import { adminRoutes, ADMIN_PREFIX } from './plugins/admin.js'
import { connectionRoutes } from './plugins/connection.js'
import { docsRoutes } from './plugins/docs.js'
import { createMockState, type MockState } from './state.js'

export interface MockPluginOptions extends MockOptions {
  /** Serve /docs and /openapi.json (default true). */
  readonly docs?: boolean
  /** Where the mock's routes live in the host (fastify's register option), e.g. `/mock`. */
  readonly prefix?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The mock's live state (scenarios, journal), for tests and embedding servers. */
    ckitMock: MockState
  }
}

/** The mock's routes: an encapsulated context, so its hooks, parsers and docs stay out of the host. */
async function mockRoutes(app: FastifyInstance, opts: { state: MockState; docs: boolean }): Promise<void> {
  const { state } = opts
  await app.register(connectionRoutes, { state })
  await app.register(adminRoutes, { state, prefix: ADMIN_PREFIX, mountPrefix: app.prefix })
  if (opts.docs) await app.register(docsRoutes, { state, mountPrefix: app.prefix })
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
    await app.register(mockRoutes, { state, docs: options.docs !== false, ...(options.prefix ? { prefix: options.prefix } : {}) })
  },
  { name: 'connection-kit-mock', fastify: '5.x' },
)

/** fastify's own register options are not mock options. */
function withoutPluginOptions(options: MockPluginOptions): MockOptions {
  const { docs: _docs, prefix: _prefix, logLevel: _logLevel, logSerializers: _logSerializers, ...mock } = options as MockPluginOptions & { logLevel?: unknown; logSerializers?: unknown }
  return mock
}
