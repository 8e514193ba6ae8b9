// The floor for the HTTP benchmarks: the bare route (bare-server.mjs) plus only the work the issue
// calls intrinsic to a signed customer-connection request, written straight on Node's and the
// libraries' primitives, none of connection-kit's code: the HMAC-SHA256 of the path parameter
// compared in constant time, the context decoded (base64url, JSON, the published schema with ajv)
// once per path parameter and checked for freshness on every request, a journal entry in a ring,
// one pino log line per request when its response is over (the mock's batched stderr, the same
// fields), and for a requester not seen before a customer drawn with Faker and serialised.
// It does less than the mock (no scenarios, sessions or admin API, Faker unseeded, refusals
// without messages), so on this stack (Node, fastify, pino) it is a lower bound for what a
// request to the mock can cost: the row against which "how close to the limit" is measured.
// Plain JS, run by node. Usage: node bench/floor-server.mjs <port> <body.json> [--log off]
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import Fastify, { LogController } from 'fastify'
import { pino } from 'pino'

const [port, bodyFile, logFlag, logMode] = process.argv.slice(2)
const logging = !(logFlag === '--log' && logMode === 'off')
const SECRET = Buffer.from('bench-secret')
const TOLERANCE_MS = 300_000
const sections = JSON.stringify(JSON.parse(readFileSync(bodyFile, 'utf8')).sections)
const ajv = new Ajv2020({ strict: false })
addFormats(ajv)
const validContext = ajv.compile(JSON.parse(readFileSync(new URL('../schemas/request-context.schema.json', import.meta.url), 'utf8')))
// Faker loads for the first new requester, as in the mock.
let faker

const destination = pino.destination({ dest: 2, sync: false, minLength: 4096, periodicFlush: 100, contentMode: 'buffer' })
// One line per request, written below from the journal entry (fastify's own two are off).
class Quiet extends LogController {
  incomingRequest() {}
  requestCompleted() {}
}
const app = Fastify({ logger: logging ? { level: 'info', stream: { write: (line) => void destination.write(Buffer.from(line)) } } : false, logController: new Quiet(), routerOptions: { maxParamLength: 8192 } })

/** Bounded like the mock's caches: the oldest entry goes when full (a Map keeps insertion order). */
function bounded(max) {
  const map = new Map()
  return { get: (key) => map.get(key), set(key, value) { if (map.size >= max) map.delete(map.keys().next().value); map.set(key, value) } }
}
const contexts = bounded(1000)
const bodies = bounded(10_000)
// The repeated requester gets the very bytes the bare route and the mock serve.
bodies.set('repeat@example.com', readFileSync(bodyFile, 'utf8'))
const journal = new Array(1000)
let next = 0
let lastId = 0

async function generated(email) {
  faker ??= (await import('@faker-js/faker/locale/en')).faker
  const customer = {
    id: `customer_${faker.number.int({ min: 100000, max: 999999 })}`, name: faker.person.fullName(), email,
    plan_type: faker.helpers.arrayElement(['Free', 'Starter', 'Business', 'Enterprise']), stripe_id: `cus_${faker.string.alphanumeric(14)}`,
    seats: faker.number.int({ min: 1, max: 500 }), mrr_cents: faker.number.int({ min: 0, max: 5_000_000 }), is_suspended: faker.datatype.boolean(),
    created_at: faker.date.past().toISOString(), last_active: faker.date.recent().toISOString(), tags: faker.helpers.arrayElements(['vip', 'beta', 'churn-risk', 'partner', 'education', 'nonprofit'], { min: 0, max: 3 }),
    organization: { id: `org_${faker.number.int({ min: 100000, max: 999999 })}`, name: faker.company.name(), role: faker.helpers.arrayElement(['admin', 'member', 'billing']), domain: faker.internet.domainName() },
  }
  const body = `{"version":"2024-03-06","customer":${JSON.stringify(customer)},"sections":${sections}}`
  bodies.set(email, body)
  return body
}

const refuse = (reply, status, error) => reply.code(status).header('content-type', 'application/json').send(JSON.stringify({ error }))

app.get('/:pathParameter', async (request, reply) => {
  const url = request.url
  const entry = { id: ++lastId, time: new Date().toISOString(), path: url, email: undefined, reason: undefined, signature: 'mismatch', status: null, ms: null }
  journal[next] = entry
  next = (next + 1) % journal.length
  if (logging) {
    const started = performance.now()
    reply.raw.on('close', function () {
      entry.status = this.statusCode
      entry.ms = Math.round((performance.now() - started) * 10) / 10
      app.log.info({ reqId: request.id, journalId: entry.id, method: 'GET', url: '/…', reason: entry.reason, status: entry.status, ms: entry.ms, email: entry.email, scenario: 'normal', signature: entry.signature }, 'request completed')
    })
  }
  const parameter = url.slice(url.lastIndexOf('/') + 1)
  const header = request.headers['x_yetto_signature']
  const given = typeof header === 'string' && header.startsWith('sha256=') ? Buffer.from(header.slice(7), 'hex') : undefined
  const expected = createHmac('sha256', SECRET).update(parameter).digest()
  if (given === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(reply, 401, 'mismatch')
  entry.signature = 'ok'
  let context = contexts.get(parameter)
  if (context === undefined) {
    try {
      context = JSON.parse(Buffer.from(parameter, 'base64url').toString('utf8'))
    } catch {
      return refuse(reply, 400, 'malformed_context')
    }
    if (!validContext(context)) return refuse(reply, 400, 'invalid_context')
    contexts.set(parameter, context)
  }
  if (Math.abs(Date.now() - Date.parse(context.requested_at)) > TOLERANCE_MS) return refuse(reply, 401, 'stale')
  entry.email = context.requester?.email
  entry.reason = context.reason
  const email = entry.email ?? 'anonymous@example.com'
  return reply.header('content-type', 'application/json; charset=utf-8').send(bodies.get(email) ?? (await generated(email)))
})
await app.listen({ port: Number(port), host: '127.0.0.1' })
process.once('SIGTERM', () => app.close().then(() => process.exit(0)))
