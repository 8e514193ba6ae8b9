import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { contractComponents } from '../../schema/index.js'
import { forwardableHeaders } from '../../http/headers.js'
import { pagesOptions, type MockPages } from '../pages.js'
import type { MockState } from '../state.js'
import { adminRoutes, ADMIN_PREFIX } from './admin.js'
import { connectionRoutes } from './connection.js'

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'connection-kit mock customer endpoint',
    description: 'A faker-powered customer-connection endpoint with fault scenarios, for QA and help-desk failure testing. The customer data contract is in components.schemas. The customer route and the admin API are also served under /sessions/{id}/, each session with scenarios, runtime customers and a journal of its own (docs/mock.md, Sessions).',
    version: '2024-03-06',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  // Relative: the document is served by the mock it describes, whatever its address.
  servers: [{ url: '/', description: 'this mock' }],
  tags: [
    { name: 'customer connection', description: 'The endpoint the help desk asks for customer data' },
    { name: 'admin', description: 'Steer the mock: scenarios, journal, reset, preview' },
    { name: 'webhooks', description: 'What the help desk POSTs to your webhook URL for each event (docs/webhooks.md)' },
  ],
}

const SECURITY_SCHEMES = {
  yettoSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X_YETTO_SIGNATURE',
    description: 'Not a fixed key: `sha256=` and the lowercase hex HMAC-SHA256 of the path parameter, keyed with the signing secret (docs/protocol.md). Header names with underscores are dropped by some proxies (nginx: underscores_in_headers on).',
  },
  adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token, when the mock was started with one (--admin-token)' },
  adminTokenQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'The admin token as ?token=, accepted by the preview page only' },
}

/** Who may call a route: the signature for the customer connection, the admin token (when one is set) for /__admin. */
function securityFor(url: string, state: MockState): { [scheme: string]: string[] }[] {
  if (url.endsWith(`${ADMIN_PREFIX}/health`)) return []
  if (url.endsWith(`${ADMIN_PREFIX}/preview`)) return [{ adminToken: [] }, { adminTokenQuery: [] }, {}]
  if (url.includes(ADMIN_PREFIX)) return [{ adminToken: [] }, {}]
  return state.signer ? [{ yettoSignature: [] }] : [{ yettoSignature: [] }, {}]
}

const FAULT_NOTE = 'only when a fault scenario (X-Mock-Scenario, scenarios.yaml or the admin API) asks for it'

/**
 * Bodies the customer route answers besides the contract's documents, named so generated
 * clients get a type for each: the unknown-customer refusal (docs/protocol.md, "Decided since")
 * and what `status:<code>` scenarios send (src/mock/faults.ts, `statusBody`).
 */
const ROUTE_SCHEMAS: Record<string, Record<string, unknown>> = {
  CustomerNotFound: {
    title: 'CustomerNotFound',
    description: 'The endpoint has no customer for `requester.email`. The help desk shows "no customer record for <email>": neither an error card nor earlier data.',
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { description: 'Always this code.', const: 'customer_not_found', examples: ['customer_not_found'] },
      message: { description: 'A sentence naming the e-mail.', type: 'string', examples: ['no customer record for nobody@unknown.invalid'] },
    },
    examples: [{ error: 'customer_not_found', message: 'no customer record for nobody@unknown.invalid' }],
  },
  MockFaultError: {
    title: 'MockFaultError',
    description: `The JSON error an application answers for a 4xx, 500, 501 or 505–599 status; ${FAULT_NOTE}.`,
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        description: 'The status again, its reason phrase and the request id.',
        type: 'object',
        required: ['status', 'message', 'request_id'],
        properties: {
          status: { description: 'The HTTP status of the answer.', type: 'integer', minimum: 400, maximum: 599, examples: [500] },
          message: { description: 'The reason phrase.', type: 'string', examples: ['Internal Server Error'] },
          request_id: { description: 'The mock\'s id for the request (in its journal).', type: 'string', examples: ['req-1'] },
        },
      },
    },
    examples: [{ error: { status: 500, message: 'Internal Server Error', request_id: 'req-1' } }],
  },
  MockFaultOk: {
    title: 'MockFaultOk',
    description: `What a status:<code> scenario answers for a 2xx code other than 200; ${FAULT_NOTE}.`,
    type: 'object',
    required: ['status'],
    properties: { status: { description: 'Always "ok".', const: 'ok', examples: ['ok'] } },
    examples: [{ status: 'ok' }],
  },
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const PROXY_PAGE = { 'text/html': { schema: { type: 'string', description: 'A proxy\'s HTML error page (nginx), not JSON' } } }
const RETRY_AFTER = { 'retry-after': { description: 'Seconds to wait: sent with 429 and 503', schema: { type: 'string', examples: ['30'] } } }

type Responses = Record<string, { description: string; content?: Record<string, { schema: unknown }>; headers?: unknown }>

/**
 * Every status the customer route can answer, each with a body schema: the contract's answers
 * (200, 400, 401, 404 for an unknown customer) and what fault scenarios produce on top
 * (src/mock/faults.ts). Statuses a route schema already declares keep their body and gain the
 * fault body as an alternative, since `status:401` answers with it.
 */
function declareCustomerResponses(responses: Responses): void {
  const orFault = (status: string) => {
    const json = responses[status]?.content?.['application/json']
    if (json) json.schema = { oneOf: [json.schema, ref('MockFaultError')] }
  }
  orFault('400')
  orFault('401')
  responses['200']!.description += `; or an HTML login page (text/html) or a broken body, ${FAULT_NOTE}`
  responses['200']!.content = { ...responses['200']!.content, 'text/html': { schema: { type: 'string', description: 'The html-error-page scenario: a login page instead of JSON' } } }
  responses['404'] = {
    description: 'No customer for requester.email (the mock: any address under the .invalid top-level domain)',
    content: { 'application/json': { schema: { oneOf: [ref('CustomerNotFound'), ref('MockFaultError')] } } },
  }
  responses['2XX'] = { description: `Another 2xx status, ${FAULT_NOTE}`, content: { 'application/json': { schema: ref('MockFaultOk') } } }
  responses['4XX'] = { description: `Another 4xx status, ${FAULT_NOTE}`, headers: RETRY_AFTER, content: { 'application/json': { schema: ref('MockFaultError') } } }
  responses['5XX'] = {
    description: `A server error, ${FAULT_NOTE}: JSON from the application, or a proxy's HTML page for 502, 503 and 504`,
    headers: RETRY_AFTER,
    content: { 'application/json': { schema: ref('MockFaultError') }, ...PROXY_PAGE },
  }
}

/** `discriminator.mapping` from each branch's `const`, so generators name section types "link", not "CustomerConnectionResponse-linkSection". */
function addDiscriminatorMappings(components: Record<string, Record<string, unknown>>): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (node === null || typeof node !== 'object') return
    const schema = node as Record<string, unknown>
    const discriminator = schema['discriminator'] as { propertyName: string; mapping?: Record<string, string> } | undefined
    const branches = (schema['oneOf'] ?? schema['anyOf']) as { $ref?: string }[] | undefined
    if (discriminator && branches) {
      const mapping: Record<string, string> = {}
      for (const branch of branches) {
        const target = branch.$ref ? components[branch.$ref.replace('#/components/schemas/', '')] : undefined
        const value = (target?.['properties'] as Record<string, { const?: unknown }> | undefined)?.[discriminator.propertyName]?.const
        if (typeof value === 'string' && branch.$ref) mapping[value] = branch.$ref
      }
      if (Object.keys(mapping).length === branches.length) schema['discriminator'] = { ...discriminator, mapping }
    }
    for (const value of Object.values(schema)) visit(value)
  }
  visit(components)
}

/**
 * OpenAPI 3.1 from the route schemas, with the contract in components.schemas: 3.1 speaks JSON
 * Schema 2020-12, so the files go in as they are. The document is collected by @fastify/swagger
 * in a private fastify instance that registers the same route groups under the same prefix: the
 * host never sees a second `swagger` decorator (a host with its own swagger used to crash with
 * FST_ERR_DEC_ALREADY_PRESENT), and start-up never pays for it. Built on first request.
 */
async function buildOpenApi(state: MockState, mountPrefix: string, desk: MockPages | undefined): Promise<unknown> {
  const [{ default: Fastify }, { default: swagger }] = await Promise.all([import('fastify'), import('@fastify/swagger')])
  const collector = Fastify()
  // Security requirements are added here, not on the routes: a host's own swagger also sees the
  // mock's routes and would choke on schemes it does not declare.
  const transform = ({ schema, url }: { schema: Record<string, unknown>; url: string }) => ({ schema: { ...schema, security: securityFor(url, state) }, url })
  await collector.register(swagger, { openapi: { ...OPENAPI_INFO, components: { securitySchemes: SECURITY_SCHEMES as never } }, transform: transform as never })
  await collector.register(
    async (scope) => {
      await scope.register(connectionRoutes, { state })
      await scope.register(adminRoutes, { state, prefix: ADMIN_PREFIX })
      if (desk) await scope.register(desk, { ...pagesOptions(state, mountPrefix), prefix: ADMIN_PREFIX })
    },
    { prefix: mountPrefix },
  )
  await collector.ready()
  const document = collector.swagger() as { components?: Record<string, unknown>; paths?: Record<string, Record<string, { tags?: string[]; responses?: Responses }>> }
  await collector.close()
  for (const item of Object.values(document.paths ?? {})) {
    const operation = item['get']
    if (operation?.responses && operation.tags?.includes('customer connection')) declareCustomerResponses(operation.responses)
  }
  // @fastify/swagger drops the description and examples beside a $ref (38 places, e.g. href's
  // "must be an absolute https:, http: or mailto: URL"); our own components keep them.
  const schemas = { ...contractComponents(), ...ROUTE_SCHEMAS }
  addDiscriminatorMappings(schemas)
  document.components = { ...document.components, schemas, securitySchemes: SECURITY_SCHEMES }
  // The help desk's outgoing webhooks, where receivers' generators look for them.
  const { openApiWebhooks, WEBHOOK_SECURITY_SCHEME } = await import('../../schema/webhook-spec.js')
  ;(document as Record<string, unknown>)['webhooks'] = openApiWebhooks()
  document.components = { ...document.components, securitySchemes: { ...SECURITY_SCHEMES, ...WEBHOOK_SECURITY_SCHEME } }
  return document
}


/**
 * The document at /openapi.json, and Swagger UI at /docs. The UI (with @fastify/static) costs
 * ~50 ms to register, a tenth of the mock's start-up budget, for a page few runs ever open: it
 * lives in a small fastify instance of its own, built on the first /docs request and reached
 * through `inject`.
 */
export async function docsRoutes(app: FastifyInstance, opts: { state: MockState; mountPrefix: string; desk?: MockPages }): Promise<void> {
  let document: Promise<unknown> | undefined
  const openApi = () =>
    (document ??= buildOpenApi(opts.state, opts.mountPrefix, opts.desk).catch((error: unknown) => {
      document = undefined
      throw error
    }))
  app.get('/openapi.json', async () => openApi())
  let ui: Promise<FastifyInstance> | undefined
  app.addHook('onClose', async () => {
    if (ui) await (await ui).close()
  })
  const loadUi = () =>
    (ui ??= (async () => {
      const [{ default: Fastify }, { default: staticSwagger }, { default: swaggerUi }] = await Promise.all([import('fastify'), import('@fastify/swagger'), import('@fastify/swagger-ui')])
      const child = Fastify()
      await child.register(staticSwagger, { mode: 'static', specification: { document: (await openApi()) as never } })
      await child.register(swaggerUi, { routePrefix: '/docs' })
      await child.ready()
      return child
    })().catch((error: unknown) => {
      ui = undefined // a failed load is retried by the next request, not cached
      throw error
    }))
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const child = await loadUi()
    // The UI instance serves /docs; a host may have mounted the mock under a prefix.
    const answer = await child.inject({ method: request.method as 'GET', url: request.url.slice(opts.mountPrefix.length), headers: { accept: request.headers.accept ?? '*/*' } })
    const headers = forwardableHeaders(answer.headers)
    return reply.code(answer.statusCode).headers(headers).send(answer.rawPayload)
  }
  app.get('/docs', forward)
  app.get('/docs/*', forward)
}
