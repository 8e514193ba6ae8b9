import type {} from '@fastify/swagger'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isCkitError } from '../../errors.js'
import { hostAllowed } from '../../http/host.js'
import { describeAt, parseJson } from '../../schema/index.js'
import { compileScenarioConfig, SCENARIO_CATALOGUE } from '../scenarios.js'
import { JOURNAL_OUTCOMES, type JournalFilter, type JournalOutcome } from '../journal.js'
import type { RuntimeCustomerResult } from '../customers.js'
import { resetState, type RouteGroupOptions } from '../state.js'

export const ADMIN_PREFIX = '/__admin'

/** Kept here too: embedders imported it from the admin plugin. */
export { hostAllowed }

/** Compared as SHA-256 digests: equal length always, so neither the content nor the length leaks through timing. */
const digestOf = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

function tokenMatches(expected: Buffer, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(expected, digestOf(given))
}

/**
 * A browser can be made to send a "simple" cross-site request (a form POST as text/plain or
 * form-urlencoded, no custom header) without asking first. Mutating admin routes need a JSON
 * body type or this header, both of which make a browser ask (CORS preflight), which the mock
 * never grants.
 */
export const ADMIN_INTENT_HEADER = 'x-ckit-admin'

const bad = (reply: FastifyReply, status: number, error: string, message: string, extra: Record<string, unknown> = {}) =>
  reply.code(status).send({ error, message, ...extra })

/**
 * Query strings are checked by the handlers; the schemas document them in OpenAPI. Skipping
 * fastify's validator keeps its ajv instance (~40 ms) off the mock's start-up.
 */
const documentedOnly = {
  validatorCompiler: () => () => true,
  serializerCompiler: () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
}

const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } })
const ERROR_BODY = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'A stable reason code, e.g. unauthorized, invalid_scenarios' },
    message: { type: 'string', description: 'What is wrong, in words' },
    errors: { type: 'array', description: 'Each problem with its JSON pointer', items: { type: 'object', properties: { pointer: { type: 'string' }, keyword: { type: 'string' }, message: { type: 'string' } } } },
  },
}

/** The OpenAPI description of an admin route: its answers, including the refusals every admin route can give. */
function adminSchema(summary: string, ok: { description: string; content?: Record<string, unknown> }, extra: { mutating?: boolean; badRequest?: string; notFound?: string; full?: boolean; querystring?: Record<string, unknown> } = {}) {
  const response: Record<string, unknown> = {
    200: { description: ok.description, content: ok.content ?? json({ type: 'object', additionalProperties: true }) },
    401: { description: 'An admin token is set and the request did not carry it', content: json(ERROR_BODY) },
    421: { description: 'The Host header does not match the address the mock is bound to (DNS rebinding)', content: json(ERROR_BODY) },
  }
  if (extra.mutating) response[415] = { description: `Neither Content-Type: application/json nor an ${ADMIN_INTENT_HEADER} header (a cross-site request)`, content: json(ERROR_BODY) }
  if (extra.badRequest) response[400] = { description: extra.badRequest, content: json(ERROR_BODY) }
  if (extra.notFound) response[404] = { description: extra.notFound, content: json(ERROR_BODY) }
  if (extra.full) response[507] = { description: 'Setting it would take the runtime customers past runtimeCustomers or runtimeCustomerBytes (too_many_customers); nothing changed', content: json(ERROR_BODY) }
  return { summary, tags: ['admin'], response, ...(extra.querystring ? { querystring: extra.querystring } : {}) }
}

/** The admin API: scenarios, journal, customers, reset. JSON everywhere (the preview and playground pages are the desk's). */
export async function adminRoutes(app: FastifyInstance, opts: RouteGroupOptions): Promise<void> {
  // Guards read the shared options; every handler reads the state of the request's session.
  const { options } = opts.state
  const stateOf = opts.stateOf ?? (() => opts.state)
  const token = options.adminToken === undefined ? undefined : digestOf(options.adminToken)
  app.addHook('onRequest', async (request, reply) => {
    if (!hostAllowed(options.host, request.headers.host)) {
      return bad(reply, 421, 'host_not_allowed', `the admin API answers only to the address it is bound to (${options.host}); Host ${JSON.stringify(request.headers.host ?? '')} looks like DNS rebinding`)
    }
    // Liveness probes (the Dockerfile's HEALTHCHECK) carry no secret; /health shows only counts.
    const isHealth = request.method === 'GET' && request.routeOptions.url === `${app.prefix}/health`
    if (token !== undefined && !isHealth) {
      const header = request.headers.authorization
      const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined
      if (!tokenMatches(token, bearer)) {
        return bad(reply, 401, 'unauthorized', 'the admin API needs Authorization: Bearer <admin token>')
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const type = request.headers['content-type'] ?? ''
      if (!/^application\/(merge-patch\+)?json\b/i.test(type) && request.headers[ADMIN_INTENT_HEADER] === undefined) {
        return bad(reply, 415, 'admin_intent_required', `mutating admin requests need Content-Type: application/json or an ${ADMIN_INTENT_HEADER} header (so a web page cannot send them cross-site)`)
      }
    }
  })

  const overview = async () => ({
    endpoints: {
      'GET /__admin/health': 'liveness and what is loaded',
      'GET /__admin/scenarios': 'the active scenario configuration and the catalogue',
      'PUT /__admin/scenarios': 'replace the configuration: { "default"?: NAME, "rules"?: [ { "id"?, "match"? and/or "reason"?, "scenario" | "sequence", "p"?, "otherwise"? } ] }',
      'POST /__admin/scenarios/rules': 'add one rule in front of the others (the last added wins); answers { "id" }',
      'DELETE /__admin/scenarios/rules/<id>': 'remove that rule',
      'GET /__admin/journal?email=&limit=': 'recent requests, newest first',
      'DELETE /__admin/journal': 'forget recorded requests',
      'POST /__admin/reset': 'restore start-up scenarios, counters, an empty journal and no runtime customers',
      'GET /__admin/customers': 'e-mails with a runtime customer',
      'GET|PUT|PATCH|DELETE /__admin/customers/<email>': 'what is served (and from where); serve { customer, sections? }; merge a JSON Merge Patch; back to file or faker',
      'GET /__admin/preview?email=&scenario=': 'the sidebar an agent would see for that e-mail (HTML; served when the desk is mounted, as ckit mock does)',
      'GET /__admin/playground/': 'paste a response and see its issues and sidebar as you type (HTML; desk)',
      'GET /sessions/<id>/<path parameter>': 'the customer connection of session <id> (configure the help desk with http://…/sessions/<id>/); created on first use',
      '/sessions/<id>/__admin/…': 'this admin API scoped to session <id>: its scenarios, counters, runtime customers, journal and reset (no preview or playground)',
    },
    sessions: 'the root is the default session; <id> is 1 to 64 letters, digits, _ or -; an idle session is forgotten after sessionIdleMs, and at maxSessions the least recently used idle one makes room',
    mutating: `PUT, POST and DELETE need Content-Type: application/json or an ${ADMIN_INTENT_HEADER} header`,
  })
  // Documented as /__admin (lint: no trailing slash); /__admin/ answers the same.
  app.get('/', { prefixTrailingSlash: 'no-slash', schema: adminSchema('What the admin API offers', { description: 'The admin routes and what they do' }), ...documentedOnly }, overview)
  app.get('/', { prefixTrailingSlash: 'slash', schema: { hide: true }, ...documentedOnly }, overview)

  app.get('/health', { schema: adminSchema('Liveness', { description: 'Up, with what is loaded' }), ...documentedOnly }, async (request) => {
    const state = stateOf(request)
    return {
      status: 'ok',
      fixedCustomers: state.data.customers.size,
      sections: state.data.sections.length,
      journalEntries: state.journal.size,
      verifiesSignatures: state.signer !== undefined,
      sessions: { live: state.sessions.size, max: state.sessions.max },
    }
  })

  app.get('/scenarios', { schema: adminSchema('Active scenarios and the catalogue', { description: 'The active configuration and every scenario' }), ...documentedOnly }, async (request) => ({
    active: stateOf(request).scenarios.config,
    catalogue: SCENARIO_CATALOGUE,
  }))

  app.put('/scenarios', { schema: adminSchema('Replace the scenario configuration', { description: 'The new active configuration' }, { mutating: true, badRequest: 'The configuration is invalid (errors[] has the pointers); nothing changed' }), ...documentedOnly }, async (request, reply) => {
    const state = stateOf(request)
    const compiled = compileScenarioConfig(request.body, options.seed)
    if (!compiled.ok) return bad(reply, 400, 'invalid_scenarios', describeAt(compiled.errors), { errors: compiled.errors })
    state.scenarios.replace(compiled.book)
    return { active: state.scenarios.config }
  })

  app.post('/scenarios/rules', { schema: adminSchema('Add one rule in front of the others (the rule added last wins)', { description: '{ id }: the id to remove it with' }, { mutating: true, badRequest: 'The rule is invalid (errors[] has the pointers, relative to the rule); nothing changed' }), ...documentedOnly }, async (request, reply) => {
    const added = stateOf(request).scenarios.add(request.body)
    if (!added.ok) return bad(reply, 400, 'invalid_rule', describeAt(added.errors), { errors: added.errors })
    return { id: added.id }
  })

  app.delete('/scenarios/rules/:id', { schema: { ...adminSchema('Remove one rule', { description: '{ removed: id }' }, { mutating: true, notFound: 'No rule has that id (unknown_rule)' }), params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } }, ...documentedOnly }, async (request, reply) => {
    const { id } = request.params as { id: string }
    if (!stateOf(request).scenarios.remove(id)) return bad(reply, 404, 'unknown_rule', `no rule has the id ${JSON.stringify(id)}; GET /__admin/scenarios lists them`)
    return { removed: id }
  })

  const journalQuery = {
    type: 'object',
    properties: {
      email: { type: 'string', description: 'Only this requester (refused requests count with the e-mail they claimed)' },
      reason: { type: 'string', description: 'Only this request reason: conversation_viewed, automation, refresh, challenge' },
      outcome: { type: 'string', enum: [...JOURNAL_OUTCOMES], description: 'pending (no response yet), answered, or cut (the connection closed first)' },
      since: { type: 'string', description: 'Only requests that arrived at or after this ISO-8601 time' },
      limit: { type: 'integer', minimum: 1 },
    },
  }
  /** The journal filter from a query, or the reason it is not one. */
  const journalFilter = (query: Record<string, string | undefined>): JournalFilter | { code: string; message: string } => {
    const limit = query['limit'] === undefined ? undefined : Number(query['limit'])
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) return { code: 'invalid_limit', message: `limit must be a whole number of at least 1, instead got ${JSON.stringify(query['limit'])}` }
    const outcome = query['outcome']
    if (outcome !== undefined && !JOURNAL_OUTCOMES.includes(outcome as JournalOutcome)) return { code: 'invalid_filter', message: `outcome must be one of ${JOURNAL_OUTCOMES.join(', ')}, instead got ${JSON.stringify(outcome)}` }
    const sinceMs = query['since'] === undefined ? undefined : Date.parse(query['since'])
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) return { code: 'invalid_filter', message: `since must be an ISO-8601 time, instead got ${JSON.stringify(query['since'])}` }
    return {
      ...(query['email'] ? { email: query['email'] } : {}),
      ...(query['reason'] ? { reason: query['reason'] } : {}),
      ...(outcome ? { outcome: outcome as JournalOutcome } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(limit ? { limit } : {}),
    }
  }

  app.get('/journal', { schema: adminSchema('Recent requests, newest first; each is recorded when it arrives (outcome pending) and completed when its response is over', { description: 'Journal entries and the journal capacity' }, { badRequest: 'A filter is not valid (limit, outcome or since)', querystring: journalQuery }), ...documentedOnly }, async (request, reply) => {
    const filter = journalFilter(request.query as Record<string, string | undefined>)
    if ('code' in filter) return bad(reply, 400, filter.code, filter.message)
    const { journal } = stateOf(request)
    return { entries: journal.list(filter), capacity: journal.capacity }
  })

  app.get('/journal/count', { schema: adminSchema('How many recorded requests match the filters (WireMock\'s verify(count, …))', { description: '{ count }' }, { badRequest: 'A filter is not valid (outcome or since)', querystring: journalQuery }), ...documentedOnly }, async (request, reply) => {
    const filter = journalFilter(request.query as Record<string, string | undefined>)
    if ('code' in filter) return bad(reply, 400, filter.code, filter.message)
    return { count: stateOf(request).journal.count(filter) }
  })

  app.delete('/journal', { schema: adminSchema('Forget recorded requests', { description: 'The now empty journal' }, { mutating: true }), ...documentedOnly }, async (request) => {
    stateOf(request).journal.clear()
    return { entries: [] }
  })

  // Admin bodies are parsed with the contract's JSON rules, 100 levels at most: a merge patch
  // (RFC 7386's media type, for PATCH /customers/<email>) is merged recursively, and a 5,000-deep
  // one used to overflow the stack (500). A refusal says what is wrong, in the admin API's shape.
  const adminJson = (what: string) => (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
    const parsed = parseJson(body)
    if (parsed.ok) return done(null, parsed.value)
    const reason = parsed.error.code === 'too_deep' ? 'too_deep' : 'invalid_json'
    done(Object.assign(new Error(`${what} is not usable JSON: ${parsed.error.message}`), { statusCode: 400, adminReason: reason }), undefined)
  }
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, adminJson('the body'))
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, adminJson('the merge patch'))
  app.setErrorHandler((error: Error & { adminReason?: string }, _request, reply) => {
    if (error.adminReason !== undefined) return bad(reply, 400, error.adminReason, error.message)
    throw error
  })
  const emailParams = { type: 'object', required: ['email'], properties: { email: { type: 'string', description: 'The requester e-mail' } } }
  const customerBody = { type: 'object', required: ['customer'], properties: { customer: { type: 'object', description: 'Served as data.customer' }, sections: { type: 'array', description: 'Optional: this customer\'s own sections (default: sections.json)' } } }
  /** Runtime changes are journaled like requests, so a test can see what changed when. */
  const journalChange = (request: FastifyRequest, email: string, status: number, note: string) => {
    const { journal } = stateOf(request)
    journal.record({ id: journal.nextId(), time: new Date().toISOString(), method: request.method, path: request.url, email, context: undefined, signature: 'not-checked', scenario: undefined, scenarioSource: undefined, status, latencyMs: 0, note, outcome: 'answered', emailVerified: true })
  }
  // The router has already percent-decoded the parameter once; decoding again turned `%25` into a
  // lone `%` (a URIError, 500) and made `%2540` mean `@`.
  const emailOf = (request: FastifyRequest) => (request.params as { email: string }).email.trim().toLowerCase()
  /** Past the runtime-customer bounds: 507, nothing changed. */
  const whenFull = async (request: FastifyRequest, reply: FastifyReply, change: () => Promise<unknown>) => {
    try {
      return await change()
    } catch (error) {
      if (!isCkitError(error) || error.code !== 'CKIT_MOCK_TOO_MANY_CUSTOMERS') throw error
      journalChange(request, emailOf(request), 507, 'runtime customer not set: too many runtime customers')
      return bad(reply, 507, 'too_many_customers', error.message)
    }
  }
  const answerChange = (request: FastifyRequest, reply: FastifyReply, result: RuntimeCustomerResult, what: string) => {
    const email = emailOf(request)
    if (!result.ok) {
      journalChange(request, email, 400, `runtime customer not ${what}: ${result.errors[0]?.pointer || '/'}: ${result.errors[0]?.message}`)
      return bad(reply, 400, 'invalid_customer', describeAt(result.errors), { errors: result.errors })
    }
    journalChange(request, email, 200, `runtime customer ${what}`)
    return result.served
  }

  app.get('/customers', { schema: adminSchema('E-mails with a runtime customer', { description: 'The overrides set while running' }), ...documentedOnly }, async (request) => ({ overrides: stateOf(request).customers.list() }))
  app.get('/customers/:email', { schema: { ...adminSchema('What is served for an e-mail, and from where (generated, fixed file, runtime)', { description: '{ email, origin, response }' }), params: emailParams }, ...documentedOnly }, async (request) => stateOf(request).customers.served(emailOf(request)))
  app.put('/customers/:email', { schema: { ...adminSchema('Serve this customer for the e-mail from now on (validated first)', { description: 'What is now served' }, { mutating: true, full: true, badRequest: 'The document breaks the contract (errors[] has the pointers), or the body is not JSON or nested deeper than 100 levels; nothing changed' }), params: emailParams, body: customerBody }, ...documentedOnly }, async (request, reply) =>
    whenFull(request, reply, async () => answerChange(request, reply, stateOf(request).customers.set(emailOf(request), request.body as never), 'set')),
  )
  app.patch('/customers/:email', { schema: { ...adminSchema('Merge a JSON Merge Patch (RFC 7386) into what is served', { description: 'What is now served' }, { mutating: true, full: true, badRequest: 'The merged document breaks the contract, or the patch is not JSON or nested deeper than 100 levels; nothing changed' }), params: emailParams }, ...documentedOnly }, async (request, reply) =>
    whenFull(request, reply, async () => answerChange(request, reply, await stateOf(request).customers.patch(emailOf(request), request.body), 'patched')),
  )
  app.delete('/customers/:email', { schema: { ...adminSchema('Return the e-mail to its file or generated customer', { description: 'What is served now' }, { mutating: true }), params: emailParams }, ...documentedOnly }, async (request) => {
    const { customers } = stateOf(request)
    const email = emailOf(request)
    const removed = customers.delete(email)
    journalChange(request, email, 200, removed ? 'runtime customer removed' : 'no runtime customer to remove')
    return { removed, ...(await customers.served(email)) }
  })

  app.post('/reset', { schema: adminSchema('Restore start-up scenarios, counters and journal', { description: 'The restored configuration' }, { mutating: true }), ...documentedOnly }, async (request) => {
    const state = stateOf(request)
    resetState(state)
    return { active: state.scenarios.config }
  })
}
