// The floor for the HTTP benchmarks: the bare route (bare-server.mjs) plus only the work the issue
// calls intrinsic to a signed customer-connection request, written straight on Node's and the
// libraries' primitives, none of connection-kit's code: the HMAC-SHA256 of the path parameter
// compared in constant time, the context decoded (base64url, JSON, the published schema with ajv)
// once per path parameter and checked for freshness on every request, a journal entry in a ring,
// one pino log line per request when its response is over (the same fields as the mock's), and
// for a requester not seen before a customer drawn with Faker and serialised.
// It does less than the mock (no scenarios, sessions or admin API, Faker unseeded, refusals
// without messages) and is built to cost as little as we and an outside reviewer could make it
// (fastify's own logger off, constant log fields bound once, lines batched in an array and
// written with one fs.write, a synchronous handler, one shared `close` listener): the row
// against which "how close to the limit" is measured, not a proof that nothing can cost less.
// Plain JS, run by node. Usage: node bench/floor-server.mjs <port> <body.json> [--log off]
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync, write, writeSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setInterval } from 'node:timers'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import Fastify from 'fastify'
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

/** Lines gathered in an array, joined and written with one asynchronous fs.write per 32 K characters or 100 ms. */
function batchedStderr(limit = 32_768, everyMs = 100) {
  let lines = []
  let chars = 0
  let writing = false
  function flush() {
    if (writing || lines.length === 0) return
    const data = Buffer.from(lines.join(''))
    lines = []
    chars = 0
    writing = true
    const out = (buffer) =>
      write(2, buffer, 0, buffer.length, null, (error, written) => {
        if (!error && written < buffer.length) return out(buffer.subarray(written))
        writing = false
        if (chars >= limit) flush()
      })
    out(data)
  }
  setInterval(flush, everyMs).unref()
  return {
    write(line) {
      lines.push(line)
      chars += line.length
      if (chars >= limit) flush()
    },
    flushSync() {
      if (lines.length > 0) writeSync(2, lines.join(''))
      lines = []
    },
  }
}
const destination = batchedStderr()
// fastify's logger stays off (it would build a child logger and listeners per request); the line's constant fields are bound once.
const log = pino({ level: 'info' }, destination).child({ method: 'GET', url: '/…', scenario: 'normal' })
const app = Fastify({ logger: false, routerOptions: { maxParamLength: 8192 } })

/** Bounded like the mock's caches: the oldest entry goes when full (a Map keeps insertion order). */
function bounded(max) {
  const map = new Map()
  return {
    get: (key) => map.get(key),
    set(key, value) {
      if (map.size >= max) map.delete(map.keys().next().value)
      map.set(key, value)
    },
  }
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

let isoMs = 0
let isoText = ''
function isoNow() {
  const now = Date.now()
  if (now !== isoMs) {
    isoMs = now
    isoText = new Date(now).toISOString()
  }
  return isoText
}
class Entry {
  constructor(id, path, reqId, started) {
    this.id = id
    this.time = isoNow()
    this.path = path
    this.email = undefined
    this.reason = undefined
    this.signature = 'mismatch'
    this.status = null
    this.ms = null
    this.reqId = reqId
    this.started = started
  }
}
const ENTRY = Symbol('entry')
/** One listener for every response (`this` is the ServerResponse): no closure per request. */
function completed() {
  const entry = this[ENTRY]
  entry.status = this.statusCode
  entry.ms = Math.round((performance.now() - entry.started) * 10) / 10
  if (logging) log.info({ reqId: entry.reqId, journalId: entry.id, reason: entry.reason, status: entry.status, ms: entry.ms, email: entry.email, signature: entry.signature }, 'request completed')
}
const given = Buffer.alloc(32)

app.get('/:pathParameter', (request, reply) => {
  const entry = new Entry(++lastId, request.url, request.id, performance.now())
  journal[next] = entry
  next = (next + 1) % journal.length
  reply.raw[ENTRY] = entry
  reply.raw.on('close', completed)
  const parameter = request.params.pathParameter
  const header = request.headers['x_yetto_signature']
  const expected = createHmac('sha256', SECRET).update(parameter).digest()
  if (typeof header !== 'string' || header.length !== 71 || !header.startsWith('sha256=') || given.write(header.slice(7), 'hex') !== 32 || !timingSafeEqual(given, expected)) return refuse(reply, 401, 'mismatch')
  entry.signature = 'ok'
  let cached = contexts.get(parameter)
  if (cached === undefined) {
    let context
    try {
      context = JSON.parse(Buffer.from(parameter, 'base64url').toString('utf8'))
    } catch {
      return refuse(reply, 400, 'malformed_context')
    }
    if (!validContext(context)) return refuse(reply, 400, 'invalid_context')
    cached = { context, at: Date.parse(context.requested_at) }
    contexts.set(parameter, cached)
  }
  // Freshness on every request, against the time parsed when the context was first decoded.
  if (!(Math.abs(Date.now() - cached.at) <= TOLERANCE_MS)) return refuse(reply, 401, 'stale')
  entry.email = cached.context.requester?.email
  entry.reason = cached.context.reason
  const email = entry.email ?? 'anonymous@example.com'
  const body = bodies.get(email)
  if (body !== undefined) return reply.header('content-type', 'application/json; charset=utf-8').send(body)
  return generated(email).then((made) => reply.header('content-type', 'application/json; charset=utf-8').send(made))
})
await app.listen({ port: Number(port), host: '127.0.0.1' })
process.once('SIGTERM', () => {
  destination.flushSync()
  void app.close().then(() => process.exit(0))
})
