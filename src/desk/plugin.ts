import type { FastifyInstance } from 'fastify'
import { isLoopbackBind } from '../http/host.js'
import { guardDesk } from './guard.js'
import { playgroundRoutes } from './playground.js'
import { previewRoutes, type PreviewTarget } from './preview.js'

/**
 * The desk: the help-desk views a person opens in a browser — the preview (what an agent sees
 * for an e-mail) and the playground (paste or fetch a response, see its issues and sidebar).
 * They import the client, renderer and conformance code, so they live apart from the mock
 * endpoint, which only mounts them when asked (`ckit mock` does; `ckit playground` serves the
 * playground alone). Wherever it is mounted, the same guard runs: one Host check, one token.
 */
export interface DeskOptions {
  /** The address the server is bound to: Host must name it, and it decides whether fetching live is on. */
  readonly host: string
  /** The admin token: every desk route but the static assets needs it when set. */
  readonly adminToken?: string
  /** The mock to preview; without it there is no /preview route (the standalone playground). */
  readonly preview?: PreviewTarget
}

/**
 * Fetching live (the playground asks any URL and shows its body) is a server-side request a
 * caller chooses. It is on where only this machine can ask (a loopback bind) or where a caller
 * must hold the admin token; a server open to the network without one does not fetch for it.
 */
export const fetchAllowed = (options: Pick<DeskOptions, 'host' | 'adminToken'>): boolean => isLoopbackBind(options.host) || options.adminToken !== undefined

/** The desk as an encapsulated fastify plugin (register it with a `prefix`, e.g. `/__admin`). */
export async function deskPlugin(app: FastifyInstance, options: DeskOptions): Promise<void> {
  guardDesk(app, {
    host: options.host,
    ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    pages: ['/preview', '/playground'],
    publicAssets: ['/playground/playground.js', '/playground/playground.css'],
  })
  if (options.preview) await previewRoutes(app, options.preview)
  await app.register(playgroundRoutes, { prefix: '/playground', fetch: fetchAllowed(options) })
}
