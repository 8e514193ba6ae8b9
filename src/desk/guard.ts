import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { hostAllowed } from '../http/host.js'

/** Compared as SHA-256 digests: equal length always, so neither the content nor the length leaks through timing. */
const digestOf = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()
const tokenMatches = (expected: Buffer, given: string | undefined): boolean => given !== undefined && timingSafeEqual(expected, digestOf(given))

/** Same header as the mock's admin API: a browser must ask (CORS preflight) before sending it. */
export const INTENT_HEADER = 'x-ckit-admin'

export interface GuardOptions {
  /** The address the server is bound to: Host must name it (loopback binds: a loopback name). */
  readonly host: string
  /** When set, every route but the static assets needs it (pages also take ?token=). */
  readonly adminToken?: string
  /** Routes (relative to the desk's prefix) a browser opens by address, so ?token= is accepted there. */
  readonly pages: readonly string[]
  /** Routes anyone may load: the playground's script and style hold no data. */
  readonly publicAssets: readonly string[]
}

const refuse = (reply: FastifyReply, status: number, error: string, message: string) => reply.code(status).send({ error, message })

/**
 * The desk's one guard, the same wherever it is mounted (inside `ckit mock` or by
 * `ckit playground`): DNS rebinding gets 421, a missing token 401, and a request a web page
 * could send cross-site without asking (no JSON type, no intent header) 415.
 */
export function guardDesk(app: FastifyInstance, options: GuardOptions): void {
  const token = options.adminToken === undefined ? undefined : digestOf(options.adminToken)
  const at = (route: string | undefined) => (route ?? '').slice(app.prefix.length).replace(/\/$/, '')
  const pages = new Set(options.pages.map((p) => p.replace(/\/$/, '')))
  const assets = new Set(options.publicAssets)
  app.addHook('onRequest', async (request, reply) => {
    if (!hostAllowed(options.host, request.headers.host)) {
      return refuse(reply, 421, 'host_not_allowed', `these pages answer only to the address they are bound to (${options.host}); Host ${JSON.stringify(request.headers.host ?? '')} looks like DNS rebinding`)
    }
    const route = at(request.routeOptions.url)
    if (token !== undefined && !(request.method === 'GET' && assets.has(route))) {
      const header = request.headers.authorization
      const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined
      const query = request.method === 'GET' && pages.has(route) ? (request.query as Record<string, string | undefined>)['token'] : undefined
      if (!tokenMatches(token, bearer) && !tokenMatches(token, query)) {
        return refuse(reply, 401, 'unauthorized', 'these pages need Authorization: Bearer <admin token> (a page opened in a browser also takes ?token=)')
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const type = request.headers['content-type'] ?? ''
      if (!/^application\/json\b/i.test(type) && request.headers[INTENT_HEADER] === undefined) {
        return refuse(reply, 415, 'admin_intent_required', `requests that act need Content-Type: application/json or an ${INTENT_HEADER} header (so a web page cannot send them cross-site)`)
      }
    }
  })
}
