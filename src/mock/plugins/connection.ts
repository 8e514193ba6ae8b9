import type { ServerResponse } from 'node:http'
import type {} from '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createRequestParser, decodeContext, HEADERS, pathParameterOf } from '../../signature/index.js'
import { applyScenario, FastifyWire, type FaultEnvironment, type NormalAnswer } from '../faults.js'
import { isoNow, type OpenEntry, type SignatureVerdict } from '../journal.js'
import { SCENARIO_HEADER, scenarioFromHeaders, type Scenario } from '../scenarios.js'
import type { MockState, RouteGroupOptions } from '../state.js'
import { PreparedResponse } from '../customers.js'

/** E-mails under the reserved `.invalid` TLD are unknown customers (docs/mock.md). */
export const isUnknownCustomer = (email: string | undefined): boolean =>
  // The regex runs only when the dot is in place: a match needs it, and most e-mails have none there.
  email !== undefined && email.length >= 8 && email.charCodeAt(email.length - 8) === 0x2e && /\.invalid$/i.test(email)


/** The body of a 400 or 401: a reason code, a sentence, and for an invalid context each problem with its pointer. */
const REFUSAL = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: ['missing', 'malformed', 'mismatch', 'stale', 'missing_context', 'malformed_context', 'invalid_context', 'unknown_scenario'] },
    message: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', required: ['pointer', 'message'], properties: { pointer: { type: 'string' }, keyword: { type: 'string' }, message: { type: 'string' } } } },
  },
}

/** What the close listener needs to complete a request's journal entry; kept on the raw response, so no closure per request. */
interface PendingRecord {
  readonly state: MockState
  readonly request: FastifyRequest
  readonly started: number
  /** Already in the journal (outcome pending): "the client saw it, the journal has it". */
  readonly entry: OpenEntry
  controller: AbortController | undefined
}

const RECORD = Symbol('ckit.journal-record')
type RecordedResponse = ServerResponse & { [RECORD]?: PendingRecord }

function journalOnClose(this: RecordedResponse): void {
  const record = this[RECORD]!
  const { state, request, controller, entry } = record
  if (controller) {
    controller.abort()
    state.inFlight.delete(controller)
  }
  state.held.delete(this)
  entry.status = this.headersSent ? this.statusCode : null
  entry.latencyMs = Math.round((performance.now() - record.started) * 10) / 10
  entry.outcome = this.writableFinished ? 'answered' : 'cut'
  if (!this.writableFinished) entry.note ??= 'connection closed before the response completed'
  state.requestLog?.(entry, request.id)
}

/** What a scenario may ask of the mock for one request; a class, so the hot path builds no closures. */
class JournaledEnvironment implements FaultEnvironment {
  constructor(
    private readonly state: MockState,
    private readonly record: PendingRecord,
  ) {}
  get budgetMs(): number {
    return this.state.options.budgetMs
  }
  get maxResponseBytes(): number {
    return this.state.options.maxResponseBytes
  }
  /** Made only for scenarios that wait: an AbortController per request (and the DOMException abort() builds) was a measurable share of the hot path. */
  signal(): AbortSignal {
    this.record.controller ??= new AbortController()
    this.state.inFlight.add(this.record.controller)
    return this.record.controller.signal
  }
  hold(raw: ServerResponse): void {
    this.state.held.add(raw)
  }
}

/** The scenario's answer on the wire: a function, not a closure made per request. */
const answer = (scenario: Scenario, normal: NormalAnswer, reply: FastifyReply, record: PendingRecord): Promise<void> | void =>
  applyScenario(scenario, normal, new FastifyWire(record.request, reply), new JournaledEnvironment(record.state, record))

/** The e-mail a refused request claims, for the journal only (never to choose an answer). */
function claimedEmail(url: string): string | undefined {
  const decoded = decodeContext(pathParameterOf(url))
  const email = decoded.ok ? decoded.context.requester?.email : undefined
  return typeof email === 'string' ? email : undefined
}

const errorBody = (error: string, message: string, extra: Record<string, unknown> = {}) => JSON.stringify({ error, message, ...extra })

/** The route groups whose requests are journaled: fastify hands each group its own instance, and `request.server` is it. */
const JOURNALED = new WeakSet<object>()
/** The request is to a customer-connection route, so its journal entry logs it; false for every other route. */
export const isJournaledRequest = (request: FastifyRequest): boolean => JOURNALED.has(request.server)

/** The customer-connection route: verify, decode, choose a scenario, answer (or fail) exactly as told. */
export async function connectionRoutes(app: FastifyInstance, opts: RouteGroupOptions): Promise<void> {
  const { state: root } = opts
  const stateOf = opts.stateOf ?? (() => root)
  const { basePath } = root.options
  // Compiled once: the secret is prepared and identical verified path parameters decode once.
  const parseRequest = createRequestParser({
    ...(root.signer ? { secret: root.signer } : { dangerouslySkipSignatureCheck: true }),
    toleranceSeconds: root.options.toleranceSeconds,
  })
  const route = basePath === '/' ? '/:pathParameter' : `${basePath}/:pathParameter`
  JOURNALED.add(app)

  // Not async: a cached customer in the normal scenario is answered in the same tick, with no
  // promise for fastify to follow; only generating a customer or a scenario that waits returns one.
  const handler = (request: FastifyRequest, reply: FastifyReply): Promise<void> | void => {
    const state = stateOf(request)
    const entry: OpenEntry = { id: state.journal.nextId(), time: isoNow(), method: request.method, path: request.url, email: undefined, context: undefined, signature: 'not-checked', scenario: undefined, scenarioSource: undefined, status: null, latencyMs: null, note: undefined, outcome: 'pending', emailVerified: false }
    state.journal.record(entry)
    const record: PendingRecord = { state, request, started: performance.now(), entry, controller: undefined }
    ;(reply.raw as RecordedResponse)[RECORD] = record
    // One shared listener does all the bookkeeping when the response is over, however it ended
    // ('close' comes once: `on` spares the wrapper `once` allocates per request).
    reply.raw.on('close', journalOnClose)

    const parsed = parseRequest(request.url, request.headers)
    if (state.signer) {
      // A context failure comes after a verified signature.
      const signatureFailed = !parsed.ok && (parsed.reason === 'missing' || parsed.reason === 'malformed' || parsed.reason === 'mismatch')
      entry.signature = signatureFailed ? (parsed.reason as SignatureVerdict) : 'ok'
    }
    if (!parsed.ok) {
      entry.note = `${parsed.reason}: ${parsed.message}`
      // Refused, but findable by the e-mail it claimed (marked unverified).
      entry.email = claimedEmail(request.url)
      void reply.code(parsed.status).header('content-type', 'application/json').send(errorBody(parsed.reason, parsed.message, parsed.errors ? { errors: parsed.errors } : {}))
      return
    }
    const { context } = parsed
    entry.context = context
    entry.email = context.requester?.email
    entry.emailVerified = state.signer !== undefined

    const fromHeader = scenarioFromHeaders(request.headers)
    if (!fromHeader.ok) {
      entry.note = `bad ${fromHeader.message}`
      void reply.code(400).header('content-type', 'application/json').send(errorBody('unknown_scenario', fromHeader.message))
      return
    }
    const choice = state.scenarios.choose(entry.email, fromHeader.scenario, context.reason)
    entry.scenario = choice.scenario.name
    entry.scenarioSource = choice.source

    const { scenario } = choice
    if (parsed.isChallenge) return answer(scenario, { body: JSON.stringify({ challenge: context.challenge }), prepared: undefined, challenge: context.challenge }, reply, record)
    if (isUnknownCustomer(entry.email)) {
      // 🔧 docs/protocol.md: an unknown customer is 404 {"error": "customer_not_found"}; the
      // reserved .invalid top-level domain (RFC 2606) is never a customer of the mock.
      return answer(scenario, { body: errorBody('customer_not_found', `no customer record for ${entry.email}`), prepared: undefined, challenge: undefined, status: 404 }, reply, record)
    }
    const prepared = state.customers.responseFor(entry.email ?? 'anonymous@example.com')
    if (prepared instanceof PreparedResponse) return answer(scenario, { body: prepared.body, prepared, challenge: undefined }, reply, record)
    return prepared.then((generated) => answer(scenario, { body: generated.body, prepared: generated, challenge: undefined }, reply, record))
  }

  const schema = {
    summary: 'Customer data for the conversation sidebar',
    description:
      'The help desk GETs the configured URL with the base64url request context appended as the last path segment, signed with X_YETTO_SIGNATURE (HMAC-SHA256 of that segment). A challenge context is echoed as {"challenge": …}. The X-Mock-Scenario header picks a fault scenario for this request (see /__admin/scenarios).',
    tags: ['customer connection'],
    params: {
      type: 'object',
      required: ['pathParameter'],
      properties: { pathParameter: { type: 'string', description: 'base64url(JSON request context) without padding; a trailing = or == is tolerated', pattern: '^[A-Za-z0-9_-]+={0,2}$' } },
    },
    headers: {
      type: 'object',
      ...(root.signer ? { required: [HEADERS.signature] } : {}),
      properties: {
        [HEADERS.signature]: { type: 'string', pattern: '^sha256=[0-9a-fA-F]{64}$', description: '`sha256=` followed by the lowercase hex HMAC-SHA256 of the path parameter, keyed with the signing secret' },
        [SCENARIO_HEADER]: { type: 'string', description: 'A fault scenario for this request, e.g. status:503, timeout, drip:5:200' },
      },
    },
    response: {
      200: {
        description: 'Customer data, or the challenge echo',
        content: {
          'application/json': {
            schema: { oneOf: [{ $ref: '#/components/schemas/CustomerConnectionResponse' }, { $ref: '#/components/schemas/ChallengeResponse' }] },
          },
        },
      },
      400: { description: 'The path parameter is not a valid request context (errors[] has the pointers), or X-Mock-Scenario names no scenario', content: { 'application/json': { schema: REFUSAL } } },
      401: { description: 'Missing, malformed or mismatched signature, or a stale request context (requested_at outside the tolerance)', content: { 'application/json': { schema: REFUSAL } } },
    },
  }

  // Validation and serialisation are the handler's job (it must answer 401/400 with reasons, and
  // faults write raw bytes); route schemas are here for the OpenAPI document.
  const passThrough = { validatorCompiler: () => () => true, serializerCompiler: () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)) }
  app.get(route, { schema, ...passThrough }, handler)
  // In a context of its own: it is refused before there is anything to journal, so it is logged like the admin routes.
  await app.register(async (unjournaled) => {
    unjournaled.get(basePath, { schema: { hide: true }, ...passThrough }, async (_request, reply) => {
      void reply.code(400).header('content-type', 'application/json').send(errorBody('missing_context', 'the request has no path parameter: GET <base path>/<base64url context>'))
    })
  })
}
