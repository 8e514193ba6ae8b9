import type { FastifyInstance, FastifyRequest } from 'fastify'
import { parseScenario } from '../mock/scenarios.js'
import { SCENARIO_HEADER } from '../mock/scenarios.js'

/** The mock endpoint a preview asks, as the mock describes itself to the desk. */
export interface PreviewTarget {
  /** The customer-connection route's path on this server: the mount prefix and base path, e.g. `/mock/yetto` ('' for /). */
  readonly path: string
  /** The secret the mock verifies; undefined when it verifies none. */
  readonly secret?: string
  readonly budgetMs: number
  readonly maxResponseBytes: number
}

const errorBody = { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } }
const json = { 'application/json': { schema: errorBody } }
const SCHEMA = {
  summary: 'The sidebar an agent would see (HTML)',
  tags: ['admin'],
  querystring: { type: 'object', properties: { email: { type: 'string' }, scenario: { type: 'string' }, token: { type: 'string', description: 'The admin token, for a browser that cannot send a header' } } },
  response: {
    200: { description: 'An HTML page with the sidebar or its error card', content: { 'text/html': { schema: { type: 'string' } } } },
    400: { description: 'email is missing or the scenario is unknown', content: json },
    401: { description: 'An admin token is set and the request did not carry it', content: json },
    421: { description: 'The Host header does not match the address the server is bound to (DNS rebinding)', content: json },
  },
}

/** Query strings are checked by the handler; the schema documents them. */
const documentedOnly = {
  validatorCompiler: () => () => true,
  serializerCompiler: () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
}

/** GET /preview?email=: what an agent would see for that e-mail, asked of the mock over its own socket. */
export async function previewRoutes(app: FastifyInstance, target: PreviewTarget): Promise<void> {
  app.get('/preview', { schema: SCHEMA, ...documentedOnly }, async (request: FastifyRequest, reply) => {
    // Read before any await: a client that half-closes its socket can have it torn down by then.
    const { localAddress, localPort } = request.socket
    const query = request.query as { email?: string; scenario?: string }
    const email = query.email?.trim()
    if (!email) return reply.code(400).send({ error: 'missing_email', message: 'add ?email=<requester e-mail> to preview that customer' })
    if (query.scenario !== undefined) {
      const parsed = parseScenario(query.scenario)
      if (!parsed.ok) return reply.code(400).send({ error: 'unknown_scenario', message: parsed.message })
    }
    // Loaded on first preview: the client and renderer (liquidjs) are not on the start-up path.
    const [{ failureCardHtml, requestCustomerData }, { escapeHtml, pageHtml, sidebarHtml }] = await Promise.all([import('../client/index.js'), import('../render/index.js')])
    // Ask the mock over the real socket, as the help desk would: the preview shows exactly what
    // the client makes of the answer, error card included.
    const host = localAddress?.includes(':') ? `[${localAddress}]` : (localAddress ?? '127.0.0.1')
    const result = await requestCustomerData(
      { url: `http://${host}:${localPort}${target.path}`, secret: target.secret ?? 'unsigned' },
      { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 'preview' }, conversation: { id: 'preview', title: 'Preview' }, requester: { email } },
      { timeoutMs: target.budgetMs, maxResponseBytes: target.maxResponseBytes, ...(query.scenario ? { headers: { [SCENARIO_HEADER]: query.scenario } } : {}) },
    )
    const sidebar = result.ok ? sidebarHtml(result.rendered) : failureCardHtml(result.error)
    const meta = `<header class="ckit-preview-meta"><p>Preview for <strong>${escapeHtml(email)}</strong></p><p>${result.ok ? 'answered' : `failed: ${escapeHtml(result.error.kind)}`} in ${result.latencyMs} ms${query.scenario ? ` · scenario ${escapeHtml(query.scenario)}` : ''}</p></header>`
    return reply.type('text/html; charset=utf-8').send(pageHtml(`${meta}\n${sidebar}`, { title: `Preview — ${email}` }))
  })
}
