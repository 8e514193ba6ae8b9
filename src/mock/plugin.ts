import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { resolveMockOptions, type MockOptions } from './options.js'
import { adminRoutes, ADMIN_PREFIX } from './plugins/admin.js'
import { connectionRoutes } from './plugins/connection.js'
import { docsRoutes, registerOpenApi } from './plugins/docs.js'
import { createMockState, type MockState } from './state.js'

export interface MockPluginOptions extends MockOptions {
  /** Serve /docs and /openapi.json (default true). */
  readonly docs?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The mock's live state (scenarios, journal), for tests and embedding servers. */
    ckitMock: MockState
  }
}

/**
 * The mock customer endpoint as a fastify plugin, to mount in your own server. Options are
 * validated and data files loaded before any route exists, so a bad option fails registration.
 */
export const mockPlugin = fp(
  async (app: FastifyInstance, options: MockPluginOptions) => {
    const state = createMockState(resolveMockOptions(options))
    app.decorate('ckitMock', state)
    app.addHook('onClose', async () => {
      for (const controller of state.inFlight) controller.abort()
      for (const raw of state.held) raw.destroy()
    })
    const docs = options.docs !== false
    if (docs) await registerOpenApi(app)
    await app.register(connectionRoutes, { state })
    await app.register(adminRoutes, { state, prefix: ADMIN_PREFIX })
    if (docs) await app.register(docsRoutes)
  },
  { name: 'connection-kit-mock', fastify: '5.x' },
)
