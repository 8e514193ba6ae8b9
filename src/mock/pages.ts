import type { FastifyInstance } from 'fastify'
import type { MockState } from './state.js'

/** What the mock tells pages mounted beside its admin API about itself. */
export interface MockPagesOptions {
  /** The address the mock is bound to. */
  readonly host: string
  readonly adminToken?: string
  /** The customer-connection route as the pages reach it over the mock's own socket. */
  readonly preview: { readonly path: string; readonly secret?: string; readonly budgetMs: number; readonly maxResponseBytes: number }
}

/** An encapsulated fastify plugin taking MockPagesOptions (deskPlugin is one). */
export type MockPages = (app: FastifyInstance, options: MockPagesOptions) => Promise<void>

/** How the desk is told about the mock: its bind address, token, and where the connection route is. */
export function pagesOptions(state: MockState, mountPrefix: string): MockPagesOptions {
  const { host, adminToken, basePath, secret, budgetMs, maxResponseBytes } = state.options
  return {
    host,
    ...(adminToken === undefined ? {} : { adminToken }),
    preview: { path: `${mountPrefix}${basePath === '/' ? '' : basePath}`, ...(secret === undefined ? {} : { secret }), budgetMs, maxResponseBytes },
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The mock's live state (scenarios, journal), for tests and embedding servers. */
    ckitMock: MockState
  }
}
