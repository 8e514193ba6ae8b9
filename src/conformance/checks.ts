import { createHmac, randomBytes } from 'node:crypto'
import { classifyAnswer, ERROR_BODY_LIMIT, testConnection, type Failure } from '../client/index.js'
import { exchange as send, headerValue } from '../http/exchange.js'
import { render, type RenderIssue } from '../render/index.js'
import { describeAt, parseJson, validate, type RequestContext } from '../schema/index.js'
import { appendPathParameter, buildSignedRequest, HEADERS, SIGNATURE_PREFIX, type SignedRequest } from '../signature/index.js'
import { percentile } from '../http/latency.js'
import { formatBytes } from '../http/limits.js'
import { CONFORMANCE_DEFAULTS } from './defaults.js'
import type { CheckResult as Result } from './result.js'
import { underscoreFix } from './underscores.js'

/** One named check of a live endpoint: ✔ pass, ✖ fail, ⚠ warn. */
type CheckResult = Result<CheckName>

export const CHECK_NAMES = [
  'reachable',
  'challenge',
  'signed-request',
  'rejects-unsigned',
  'rejects-forged',
  'rejects-stale',
  'latency',
  'content-type',
  'size',
  'json',
  'schema',
  'templates',
  'links',
  'unknown-customer',
  'underscore-headers',
] as const
export type CheckName = (typeof CHECK_NAMES)[number]

export { CONFORMANCE_DEFAULTS } from './defaults.js'

export interface ConformanceOptions {
  readonly url: string
  readonly secret: string
  readonly emails?: readonly string[]
  readonly unknownEmail?: string
  readonly requests?: number
  readonly concurrency?: number
  /** Called as the latency sample proceeds (done, total). */
  readonly onProgress?: (done: number, total: number) => void
}

/** What came back for one request, on the wire: status, headers, bytes, time. */
export interface Exchange {
  readonly status: number | null
  readonly contentType: string | null
  readonly body: Buffer | null
  readonly latencyMs: number
  /** The `Server` header, which names the software that answered (nginx, gunicorn, …). */
  readonly server?: string
  readonly error?: string
  readonly timedOut?: boolean
  readonly tooLarge?: boolean
  /** The body came in a content-coding that cannot be undone (`error` says which): no size, no JSON. */
  readonly undecodable?: boolean
}

const context = (email: string, requestedAt = new Date()): RequestContext => ({ reason: 'conversation_viewed', requested_at: requestedAt.toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conformance' }, requester: { email } })

/** Every reason the help desk sends a request for: each one is signed, so each must be verified. */
const REASONS = ['conversation_viewed', 'refresh', 'automation', 'challenge'] as const satisfies readonly RequestContext['reason'][]

/** The context the help desk sends for `reason`: a challenge carries a random string and no conversation. */
function contextFor(reason: RequestContext['reason'], email: string, requestedAt = new Date()): RequestContext {
  if (reason === 'challenge') return { reason, requested_at: requestedAt.toISOString(), inbox: { slug: 'support' }, challenge: randomBytes(16).toString('hex') }
  return { ...context(email, requestedAt), reason }
}

/**
 * Signatures that must not verify, each the way a hand-written check goes wrong: comparing only
 * a prefix of the digest (so `sha256=` or half of it verifies), a rotation list holding an unset
 * secret (the HMAC keyed with ""), or any key at all.
 */
function forgeries(request: SignedRequest): { what: string; signature: string }[] {
  const right = request.signature.slice(SIGNATURE_PREFIX.length)
  const hmac = (key: Buffer) => SIGNATURE_PREFIX + createHmac('sha256', key).update(request.pathParameter).digest('hex')
  return [
    { what: 'an all-zero digest', signature: SIGNATURE_PREFIX + '0'.repeat(64) },
    { what: 'an empty digest', signature: SIGNATURE_PREFIX },
    { what: 'the first 32 hex digits of the right digest', signature: SIGNATURE_PREFIX + right.slice(0, 32) },
    { what: 'the right digest without its last hex digit', signature: SIGNATURE_PREFIX + right.slice(0, -1) },
    { what: 'the HMAC keyed with an empty secret', signature: hmac(Buffer.alloc(0)) },
    { what: 'the HMAC keyed with a random wrong secret', signature: hmac(randomBytes(32)) },
  ]
}

/** One GET with the help desk's budget and size cap (content-codings undone, as its client does), keeping everything a check needs. */
export async function exchange(url: string, headers: Record<string, string>, limits: { readonly timeoutMs: number; readonly maxResponseBytes: number } = { timeoutMs: CONFORMANCE_DEFAULTS.budgetMs, maxResponseBytes: CONFORMANCE_DEFAULTS.maxResponseBytes }): Promise<Exchange> {
  // A non-2xx body is read up to the cap and never fails for its size: a refusal is searched for
  // customer data whatever its status, and a huge one is no reason to stop reading the start.
  const answer = await send({ url, headers: { accept: 'application/json', ...headers } }, { ...limits, decode: true, prefixBytes: (status) => (status >= 200 && status < 300 ? undefined : limits.maxResponseBytes) })
  const latencyMs = Math.round(answer.latencyMs)
  // Silence, or an answer cut off: the help desk shows an error, whatever status came first.
  if (!answer.ok && (answer.failure.kind === 'timeout' || answer.failure.kind === 'network' || answer.status === undefined)) {
    return { status: null, contentType: null, body: null, latencyMs, timedOut: answer.failure.kind === 'timeout', error: answer.failure.message }
  }
  const server = headerValue(answer.headers, 'server')
  const seen = { status: answer.status!, contentType: headerValue(answer.headers, 'content-type') ?? null, latencyMs, ...(server ? { server } : {}) }
  if (answer.ok) return { ...seen, body: answer.body }
  // An answer came, but not one the help desk can read: too large, or in a coding it cannot undo.
  return { ...seen, body: Buffer.alloc(0), error: answer.failure.message, ...(answer.failure.kind === 'too_large' ? { tooLarge: true } : {}), ...(answer.failure.kind === 'undecodable' ? { undecodable: true } : {}) }
}

const pass = (name: CheckName, reason: string): CheckResult => ({ name, status: 'pass', reason })
const fail = (name: CheckName, reason: string, fix: string): CheckResult => ({ name, status: 'fail', reason, fix })
const warn = (name: CheckName, reason: string, fix: string): CheckResult => ({ name, status: 'warn', reason, fix })

function describeFailure(failure: Failure): string {
  return `${failure.kind}: ${failure.message}`
}

const is2xx = (answer: Exchange): boolean => answer.status !== null && answer.status >= 200 && answer.status < 300
const isRefusal = (answer: Exchange): boolean => answer.status === 401 || answer.status === 403

/** What came back, in words a user can compare with their logs: `HTTP 404 (text/html)`, or why nothing did. */
function answered(answer: Exchange): string {
  if (answer.status === null) return answer.error ?? 'no answer'
  return `HTTP ${answer.status} (${answer.contentType ? `Content-Type ${answer.contentType}` : 'no Content-Type'})`
}

/**
 * A check that got no answer can never pass, nor merely warn: the help desk shows the agent an
 * error for exactly this. The fix says what to change for the kind of silence seen.
 */
function noAnswerFix(answer: Exchange): string {
  return answer.timedOut
    ? 'answer within 3 s: the help desk stops waiting then and shows the agent an error (cache or precompute what is slow)'
    : 'keep the connection open until the whole answer is sent: a reset or refused connection is an error card for the agent'
}

// How endpoints (ours included: "X_YETTO_SIGNATURE header is missing") say the signature never arrived.
const SIGNATURE_MISSING = /signature[^.\n]{0,40}\b(missing|absent|not (found|present|sent|given))\b|\b(missing|absent|no)\b[^.\n]{0,40}signature/i
const saysSignatureMissing = (answer: Exchange): boolean => SIGNATURE_MISSING.test(answer.body?.subarray(0, ERROR_BODY_LIMIT).toString() ?? '')

/**
 * Runs every check against a live endpoint and explains each failure with a fix. Never throws
 * for what the endpoint does.
 */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const emails = options.emails && options.emails.length > 0 ? options.emails : CONFORMANCE_DEFAULTS.emails
  const unknownEmail = options.unknownEmail ?? CONFORMANCE_DEFAULTS.unknownEmail
  const signed = (email: string, requestedAt?: Date) => buildSignedRequest({ url: options.url, secret: options.secret, context: context(email, requestedAt) })
  const signedFor = (reason: RequestContext['reason'], email: string, requestedAt?: Date) => buildSignedRequest({ url: options.url, secret: options.secret, context: contextFor(reason, email, requestedAt) })
  const results: CheckResult[] = []

  // reachable: any HTTP answer at all. A refused connection ends the run; a silent server does
  // not, so every other check can say what it saw.
  const first = signed(emails[0]!)
  const firstExchange = await exchange(first.url, first.headers)
  if (firstExchange.status === null && !firstExchange.timedOut) {
    results.push(fail('reachable', firstExchange.error ?? 'no answer', 'start the endpoint, and check the URL, DNS and TLS certificate'))
    return results
  }
  results.push(firstExchange.status === null ? fail('reachable', `the server accepted the connection but sent ${firstExchange.error}`, noAnswerFix(firstExchange)) : pass('reachable', `answered HTTP ${firstExchange.status}`))

  // challenge: sent twice, each with its own random string, so an answer cached from the first
  // (the Test button works once, then never again) is caught by the second.
  const challenges = []
  for (let i = 0; i < CONFORMANCE_DEFAULTS.challenges; i++) {
    const attempt = await testConnection({ url: options.url, secret: options.secret }, { timeoutMs: CONFORMANCE_DEFAULTS.budgetMs })
    challenges.push(attempt)
    if (!attempt.ok) break
  }
  const challenge = challenges.at(-1)!
  const echo = 'when reason is "challenge", answer 200 {"challenge": <the same string>} within 3 s'
  const challengeFix = (failure: Failure): string =>
    failure.kind === 'timeout'
      ? `${echo}: the Test button gives up at 3 s and the connection cannot be created`
      : failure.status === 401 || failure.status === 403
        ? `the challenge is signed like every request: verify it with the secret the help desk shows, then ${echo}`
        : echo
  const slowest = Math.max(...challenges.map((c) => c.latencyMs))
  if (challenge.ok) results.push(pass('challenge', `${challenges.length} challenges, each echoed with its own string, within ${slowest} ms`))
  else if (challenges.length > 1 && challenge.error.kind === 'bad_challenge') results.push(fail('challenge', `the first challenge was echoed, but challenge ${challenges.length} (another random string) got ${describeFailure(challenge.error)}: an answer cached from an earlier challenge`, `${echo}, computed for each request: never cache or replay a challenge answer (a response cache must not key it by inbox or URL alone)`))
  else results.push(fail('challenge', `${challenges.length > 1 ? `challenge ${challenges.length}: ` : ''}${describeFailure(challenge.error)}`, challengeFix(challenge.error)))

  // signed-request, and one exchange per customer e-mail for the content checks
  const exchanges: { email: string; exchange: Exchange }[] = [{ email: emails[0]!, exchange: firstExchange }]
  for (const email of emails.slice(1)) {
    const request = signed(email)
    exchanges.push({ email, exchange: await exchange(request.url, request.headers) })
  }
  const silent = exchanges.find((e) => e.exchange.status === null)
  const refused = exchanges.find((e) => isRefusal(e.exchange))
  const erred = exchanges.find((e) => !is2xx(e.exchange))
  results.push(
    silent
      ? fail('signed-request', `a correctly signed request for ${silent.email} got ${silent.exchange.error}`, noAnswerFix(silent.exchange))
      : refused
        ? fail('signed-request', `a correctly signed request for ${refused.email} was refused with HTTP ${refused.exchange.status}`, 'verify X_YETTO_SIGNATURE as sha256=<hex HMAC-SHA256 of the path parameter> with the secret the help desk shows, and accept a requested_at within 5 minutes of now')
        : erred
          ? fail('signed-request', `a correctly signed request for ${erred.email} got ${answered(erred.exchange)}`, 'answer a known customer with 200 and the response JSON (unknown ones with 404 customer_not_found); pass --email with an e-mail your endpoint knows')
          : pass('signed-request', `accepted (${exchanges.map((e) => `${e.email}: ${e.exchange.status}`).join(', ')})`),
  )
  // rejects-stale re-sends the first request with an old requested_at: only its fresh twin counts.
  const freshAccepted = is2xx(firstExchange)

  // rejects-unsigned, rejects-forged, rejects-stale: every reason the help desk sends is signed,
  // so each must be refused unsigned or forged, not only the one a sidebar view uses.
  const probeFor = (reason: RequestContext['reason'], requestedAt?: Date) => signedFor(reason, emails[0]!, requestedAt)
  const byReason = REASONS.map((reason) => ({ reason, request: probeFor(reason) }))
  const staleAt = new Date(Date.now() - CONFORMANCE_DEFAULTS.staleAgeMinutes * 60_000)
  const futureAt = new Date(Date.now() + CONFORMANCE_DEFAULTS.futureAgeMinutes * 60_000)
  const staleRequest = probeFor('conversation_viewed', staleAt)
  // A captured refresh or automation request replays as well as a sidebar view: freshness holds for every reason.
  const staleByReason = REASONS.flatMap((reason) => [
    { what: `a correctly signed request (reason ${reason}) whose requested_at is ${CONFORMANCE_DEFAULTS.staleAgeMinutes} minutes old`, request: reason === 'conversation_viewed' ? staleRequest : probeFor(reason, staleAt) },
    { what: `a correctly signed request (reason ${reason}) whose requested_at is ${CONFORMANCE_DEFAULTS.futureAgeMinutes} minutes in the future`, request: probeFor(reason, futureAt) },
  ])
  // The signature comes first: an unsigned request must be refused before its context is read,
  // whether the context is old or not a context at all.
  const garbageUrl = appendPathParameter(options.url, 'not-a-context!')
  const forged = byReason.flatMap(({ reason, request }) => forgeries(request).map(({ what, signature }) => ({ what: `a request with a wrong X_YETTO_SIGNATURE, ${what} (reason ${reason})`, url: request.url, signature })))
  // Independent of each other: at once, so a silent endpoint costs one budget here, not a dozen.
  const [unsignedAnswers, forgedAnswers, staleAnswers, [unsignedStale, unsignedGarbage]] = await Promise.all([
    Promise.all(byReason.map(({ request }) => exchange(request.url, {}))),
    Promise.all(forged.map(({ url, signature }) => exchange(url, { [HEADERS.signature]: signature }))),
    Promise.all(staleByReason.map(({ request }) => exchange(request.url, request.headers))),
    Promise.all([exchange(staleRequest.url, {}), exchange(garbageUrl, {})]),
  ])
  const secrets = customerSecrets(firstExchange)
  const leak = 'refuse a request whose signature is missing or wrong with 401, before looking up the customer'
  const dataRisk = 'anyone who knows the URL could read customer data'
  const unsignedProbes: Probe[] = [
    ...byReason.map(({ reason }, i) => ({ what: `a request without X_YETTO_SIGNATURE (reason ${reason})`, answer: unsignedAnswers[i]! })),
    { what: `a request without X_YETTO_SIGNATURE whose requested_at is ${CONFORMANCE_DEFAULTS.staleAgeMinutes} minutes old`, answer: unsignedStale, strict: true },
    { what: 'a request without X_YETTO_SIGNATURE whose path parameter is not a context', answer: unsignedGarbage, strict: true },
  ]
  results.push(refusalChecks('rejects-unsigned', unsignedProbes, leak, dataRisk, secrets))
  results.push(refusalChecks('rejects-forged', forged.map(({ what }, i) => ({ what, answer: forgedAnswers[i]! })), leak, dataRisk, secrets))
  const staleFix = 'refuse a context whose requested_at is more than 5 minutes from now, in either direction and for every reason, with 401 (createRequestParser and parseSignedRequest do; docs/protocol.md, freshness)'
  const staleProbes: Probe[] = staleByReason.map(({ what }, i) => ({ what, answer: staleAnswers[i]! }))
  if (staleProbes.every((p) => isRefusal(p.answer)) && !freshAccepted) {
    // The fresh twin was not accepted, so this refusal says nothing about freshness; a silent
    // twin is no answer, which never merely warns.
    const cannotTell = `${staleProbes[0]!.what} was refused (HTTP ${staleProbes[0]!.answer.status}), but this cannot tell whether the endpoint checks freshness: the same request stamped now`
    results.push(firstExchange.status === null ? fail('rejects-stale', `${cannotTell} got ${firstExchange.error}`, noAnswerFix(firstExchange)) : warn('rejects-stale', `${cannotTell} got ${answered(firstExchange)} too`, 'make signed-request pass first, then run again'))
  } else {
    results.push(refusalChecks('rejects-stale', staleProbes, staleFix, 'a captured request can be replayed for as long as its signature verifies, which is forever', secrets))
  }

  // latency: sequential, then concurrent
  const total = options.requests ?? CONFORMANCE_DEFAULTS.requests
  const concurrency = options.concurrency ?? CONFORMANCE_DEFAULTS.concurrency
  const samples: Exchange[] = []
  let done = 0
  const sample = async () => {
    const request = signed(emails[done % emails.length]!)
    samples.push(await exchange(request.url, request.headers))
    options.onProgress?.(++done, total * 2)
  }
  for (let i = 0; i < total; i++) await sample()
  let started = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, async () => {
    while (started++ < total) await sample()
  }))
  results.push(latencyCheck(samples, concurrency))

  // content checks on the customers' answers
  const ok = exchanges.filter((e) => is2xx(e.exchange))
  if (ok.length === 0) {
    const why = silent ? `${silent.email} got ${silent.exchange.error}` : `no customer request was answered 2xx (${exchanges.map((e) => `${e.email}: ${answered(e.exchange)}`).join(', ')})`
    const fix = silent ? noAnswerFix(silent.exchange) : 'answer a signed request for a known customer (--email) with 200 and the response JSON'
    for (const name of ['content-type', 'size', 'json', 'schema', 'templates', 'links'] as const) results.push(fail(name, `cannot check: ${why}`, fix))
  } else {
    const wrongType = ok.find((e) => !JSON_TYPE.test(e.exchange.contentType ?? ''))
    results.push(wrongType ? fail('content-type', `${wrongType.email}: Content-Type is ${JSON.stringify(wrongType.exchange.contentType)}`, 'send Content-Type: application/json') : pass('content-type', 'application/json'))
    const tooLarge = ok.find((e) => e.exchange.tooLarge)
    // A body that could not be decoded has no size to pass: its 0 bytes are not the answer's.
    const undecodable = ok.find((e) => e.exchange.undecodable)
    const codingFix = 'send the body in a content-coding the help desk undoes (gzip, deflate, br) or none, and a Content-Encoding header that says which'
    results.push(
      tooLarge
        ? fail('size', `${tooLarge.email}: the body passed ${CONFORMANCE_DEFAULTS.maxResponseBytes} bytes`, `keep a response under ${formatBytes(CONFORMANCE_DEFAULTS.maxResponseBytes)}: send what the sidebar shows, not whole records`)
        : undecodable
          ? fail('size', `cannot measure ${undecodable.email}'s body: ${undecodable.exchange.error}`, codingFix)
          : pass('size', `largest ${Math.max(...ok.map((e) => e.exchange.body?.byteLength ?? 0))} bytes`),
    )
    const parsed = ok.map((e) => ({ email: e.email, exchange: e.exchange, parsed: e.exchange.tooLarge || e.exchange.undecodable ? undefined : parseJson(e.exchange.body ?? Buffer.alloc(0)) }))
    const badJson = parsed.flatMap((p) => (p.exchange.undecodable ? [{ ...p, why: p.exchange.error, fix: codingFix }] : p.parsed && !p.parsed.ok ? [{ ...p, why: p.parsed.error.message, fix: 'send the JSON document whole, as JSON (no HTML error pages, no trailing commas)' }] : []))[0]
    results.push(badJson ? fail('json', `${badJson.email}: ${badJson.why}`, badJson.fix) : pass('json', 'every body parses'))
    const documents = parsed.flatMap((p) => (p.parsed?.ok ? [{ email: p.email, value: p.parsed.value }] : []))
    results.push(schemaCheck(documents))
    const rendered = documents.flatMap(({ email, value }) => {
      const checked = validate('response', value)
      return checked.valid ? [{ email, result: render(checked.value, { strict: true }) }] : []
    })
    results.push(templatesCheck(rendered))
    results.push(linksCheck(rendered))
  }

  // unknown-customer
  const unknown = signed(unknownEmail)
  results.push(unknownCustomerCheck(unknownEmail, await exchange(unknown.url, unknown.headers)))

  // underscore-headers
  results.push(await underscoreCheck(first, exchanges[0]!.exchange))
  return results
}

const JSON_TYPE = /^application\/(.+\+)?json\b/i

/** One request a refusal check sends; `strict`: only 401/403 will do (anything else shows the wrong order of checks). */
interface Probe {
  readonly what: string
  readonly answer: Exchange
  readonly strict?: boolean
}

/** Refused (401/403) passes; data fails; no answer fails; any other answer (whose body carries no customer data) warns. */
function refusalCheck(name: CheckName, what: string, answer: Exchange, fix: string, risk: string): CheckResult {
  if (isRefusal(answer)) return pass(name, `${what} was refused (HTTP ${answer.status})`)
  if (answer.status === null) return fail(name, `${what} got ${answer.error}, so this cannot tell whether it is refused`, `${noAnswerFix(answer)}; ${fix}`)
  if (is2xx(answer)) return fail(name, `${what} was answered HTTP ${answer.status} with data: ${risk}`, fix)
  return warn(name, `${what} got ${answered(answer)} rather than a refusal: no data came back, but neither you nor the help desk can tell it from a fault`, fix)
}

/**
 * Every probe must be refused, and no refusal may carry customer data; the worst probe decides
 * (a failure before a warning). A `strict` probe answered with another error, where the plain ones
 * were refused, fails: the endpoint read the unverified context before checking the signature.
 */
function refusalChecks(name: CheckName, probes: readonly Probe[], fix: string, risk: string, secrets: readonly string[]): CheckResult {
  // Only an endpoint that does refuse plain unsigned requests shows its order by answering these otherwise.
  const refusesPlain = probes.some((p) => !p.strict && isRefusal(p.answer))
  const verdicts = probes.map((probe): CheckResult => {
    // Whatever the status (a 500, a 302 to a login page), the body goes to whoever sent the request.
    const leaked = probe.answer.status !== null && !is2xx(probe.answer) ? leakIn(probe.answer, secrets) : undefined
    if (leaked) {
      const seen = isRefusal(probe.answer) ? `was refused (HTTP ${probe.answer.status}), but the refusal carries` : `got ${answered(probe.answer)}, and its body carries`
      return fail(name, `${probe.what} ${seen} customer data (${leaked}): ${risk}`, 'verify the signature before looking up the customer, and answer a refusal with 401 and only {"error": …, "message": …}: a refusal goes to whoever sent the request')
    }
    if (probe.strict && refusesPlain && probe.answer.status !== null && !isRefusal(probe.answer) && !is2xx(probe.answer)) {
      return fail(name, `${probe.what} got ${answered(probe.answer)}, not 401: the endpoint read the unverified context before checking the signature`, 'verify X_YETTO_SIGNATURE first and refuse with 401 before decoding the path parameter or checking requested_at')
    }
    return refusalCheck(name, probe.what, probe.answer, fix, risk)
  })
  const worst = verdicts.find((v) => v.status === 'fail') ?? verdicts.find((v) => v.status === 'warn')
  if (worst) return worst
  const statuses = new Map<number | null, number>()
  for (const { answer } of probes) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
  return pass(name, probes.length === 1 ? verdicts[0]!.reason : `all ${probes.length} requests refused (${[...statuses].map(([status, n]) => `HTTP ${status} ×${n}`).join(', ')})`)
}

/** The known customer's identifying values, from the accepted signed answer: what a refusal must never contain. */
function customerSecrets(answer: Exchange): string[] {
  if (!is2xx(answer) || !answer.body || answer.tooLarge) return []
  const parsed = parseJson(answer.body)
  const customer = parsed.ok ? (parsed.value as { customer?: unknown } | null)?.customer : undefined
  if (!customer || typeof customer !== 'object') return []
  // Short values ("1", "VIP") would match any text; identifiers and names are longer.
  return Object.values(customer as Record<string, unknown>).flatMap((v) => (typeof v === 'string' || typeof v === 'number' ? [String(v)] : [])).filter((v) => v.length >= 4)
}

const hasKey = (value: unknown, keys: readonly string[]): string | undefined => {
  if (!value || typeof value !== 'object') return undefined
  for (const [k, v] of Object.entries(value)) {
    if (keys.includes(k)) return k
    const inner = hasKey(v, keys)
    if (inner) return inner
  }
  return undefined
}

/** What in a refusal's body looks like customer data: a `customer`/`sections` key, or a known customer value. */
function leakIn(answer: Exchange, secrets: readonly string[]): string | undefined {
  if (!answer.body || answer.body.byteLength === 0) return undefined
  const parsed = parseJson(answer.body)
  const key = parsed.ok ? hasKey(parsed.value, ['customer', 'sections']) : undefined
  if (key) return `a "${key}" key`
  const text = answer.body.toString()
  const value = secrets.find((s) => text.includes(s))
  return value === undefined ? undefined : `the known customer's ${JSON.stringify(value)}`
}

/**
 * Why the help desk would not show a 2xx answer, as the content checks judge the first one:
 * JSON Content-Type, within the size cap, parseable, schema-valid, renderable.
 */
export function answerProblem(answer: Exchange): string | undefined {
  if (!is2xx(answer)) return undefined
  if (!JSON_TYPE.test(answer.contentType ?? '')) return `Content-Type is ${JSON.stringify(answer.contentType)}, not JSON`
  if (answer.tooLarge) return `the body passed ${CONFORMANCE_DEFAULTS.maxResponseBytes} bytes`
  if (answer.undecodable) return answer.error
  const parsed = parseJson(answer.body ?? Buffer.alloc(0))
  if (!parsed.ok) return `the body is not JSON (${parsed.error.message})`
  const checked = validate('response', parsed.value)
  if (!checked.valid) return `the schema: ${describeAt(checked.errors.slice(0, 2))}`
  const problem = render(checked.value, { strict: true }).errors.find((e) => e.code !== 'unknown_section_type')
  return problem ? `rendering: ${problem.pointer}: ${problem.message}` : undefined
}

function latencyCheck(samples: readonly Exchange[], concurrency: number): CheckResult {
  const timed = samples.filter((s) => s.status !== null)
  const sorted = timed.map((s) => s.latencyMs).sort((a, b) => a - b)
  const stats = sorted.length === 0 ? `no timing: none of ${samples.length} requests was answered` : `p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, max ${sorted.at(-1)} ms over ${sorted.length} answered requests (${concurrency} at once for half)`
  const silent = samples.filter((s) => s.status === null)
  if (silent.length > 0) {
    return fail('latency', `${silent.length} of ${samples.length} requests got no answer (${silent[0]!.error}); ${stats}`, noAnswerFix(silent[0]!))
  }
  if ((sorted.at(-1) ?? 0) > CONFORMANCE_DEFAULTS.budgetMs) return fail('latency', `an answer took longer than 3 s; ${stats}`, 'answer within 3 s: the help desk shows an error past it (cache what is slow to compute)')
  const erred = samples.filter((s) => !is2xx(s))
  if (erred.length === samples.length) {
    const statuses = [...new Set(erred.map((s) => s.status))].join(', ')
    return fail('latency', `cannot measure: none of ${samples.length} signed requests for known customers was answered 2xx (HTTP ${statuses})`, 'make signed-request pass first: how fast refusals or errors come back says nothing about the answers the help desk waits for')
  }
  if (erred.length > 0) {
    const statuses = [...new Set(erred.map((s) => s.status))].join(', ')
    return fail('latency', `${erred.length} of ${samples.length} signed requests for known customers were answered HTTP ${statuses}, not 2xx, so the help desk would show an error for them; ${stats}`, 'answer every signed request for a known customer with 200, also several at once (raise rate limits and pool sizes for the help desk); pass --email with e-mails your endpoint knows')
  }
  // Every sample is an answer the help desk would show: one that breaks under load is as broken as
  // the first answer would be, so each is judged like it, not only by status and time.
  const broken = samples.flatMap((s) => {
    const problem = answerProblem(s)
    return problem ? [problem] : []
  })
  if (broken.length > 0) {
    return fail('latency', `${broken.length} of ${samples.length} answers in the latency sample (${concurrency} at once for half) were 2xx but broken, so the help desk would show an error for them: ${broken[0]}; ${stats}`, 'answer every signed request with the same valid JSON document, also several at once (no "busy" placeholders, no shared state between requests, no HTML fallbacks)')
  }
  if ((percentile(sorted, 95) ?? 0) > CONFORMANCE_DEFAULTS.warnAboveMs) return warn('latency', stats, 'keep answers well under 3 s (p95 under 1.5 s) so a slow moment does not become an error')
  return pass('latency', stats)
}

/**
 * The help desk shows "no customer record" only for 404 with a JSON body
 * {"error": "customer_not_found"} within the first ERROR_BODY_LIMIT bytes, as the client reads it
 * (`classifyAnswer`, so this check and `ckit fetch` never disagree); anything else — an HTML 404
 * page from a framework, a 500, a padded or bloated body, silence — shows the agent an error card
 * for every unknown customer.
 */
function unknownCustomerCheck(email: string, answer: Exchange): CheckResult {
  const want = `answer 404 with Content-Type: application/json and {"error": "customer_not_found"}, in under ${ERROR_BODY_LIMIT} bytes, for an e-mail with no customer record (docs/protocol.md)`
  if (answer.status === null) return fail('unknown-customer', `${email} got ${answer.error}`, `${noAnswerFix(answer)}; ${want}`)
  if (is2xx(answer)) return fail('unknown-customer', `${email} was answered HTTP ${answer.status} with data: the agent would see a customer who does not exist`, want)
  const consequence = 'the help desk would show an error instead of "no customer record"'
  if (answer.error) return fail('unknown-customer', `${email} got ${answered(answer)} whose body the help desk cannot read (${answer.error}): ${consequence}`, want)
  const reading = classifyAnswer(answer.status, answer.body ?? Buffer.alloc(0))
  // The pact contract matches the Content-Type too: the right bytes as text/plain are not the answer.
  if (reading.kind === 'not_found') {
    return JSON_TYPE.test(answer.contentType ?? '') ? pass('unknown-customer', `404 customer_not_found for ${email}`) : fail('unknown-customer', `${email} got ${answered(answer)}: the body is right, but not sent as JSON; ${consequence}`, want)
  }
  if (reading.kind === 'http_status' && reading.cappedAway) return fail('unknown-customer', `${email} got ${answered(answer)}, but ${reading.cappedAway}`, want)
  const body = parseJson((answer.body ?? Buffer.alloc(0)).subarray(0, ERROR_BODY_LIMIT))
  const error = body.ok ? (body.value as { error?: unknown } | null)?.error : undefined
  if (!body.ok) return fail('unknown-customer', `${email} got ${answered(answer)} whose body is not JSON (an HTML error page?): ${consequence}`, want)
  if (answer.status !== 404) return fail('unknown-customer', `${email} got ${answered(answer)}, not 404: ${consequence}`, want)
  return fail('unknown-customer', `${email} got 404 with ${JSON.stringify(error ?? null)} as "error", not "customer_not_found": ${consequence}`, want)
}

/**
 * Does X_YETTO_SIGNATURE reach the endpoint's code? A signed request that is accepted proves it.
 * One that is not is sent again with the dashed spelling: if that one is accepted, or if the
 * refusal says the signature is missing although it was sent, a server in front drops it.
 */
async function underscoreCheck(request: { url: string; signature: string }, signedAnswer: Exchange): Promise<CheckResult> {
  if (is2xx(signedAnswer)) return pass('underscore-headers', 'X_YETTO_SIGNATURE arrives: a request signed with it was accepted')
  if (signedAnswer.status === null) return fail('underscore-headers', `cannot check: the signed request got ${signedAnswer.error}`, noAnswerFix(signedAnswer))
  const dashed = await exchange(request.url, { 'X-Yetto-Signature': request.signature })
  const server = signedAnswer.server ?? dashed.server
  if (is2xx(dashed)) return fail('underscore-headers', `X_YETTO_SIGNATURE never arrived (${answered(signedAnswer)}), but the same signature as X-Yetto-Signature was accepted: a server in front of your code drops headers with underscores`, underscoreFix(server))
  if (saysSignatureMissing(signedAnswer)) return fail('underscore-headers', `X_YETTO_SIGNATURE was sent, but the endpoint answered ${answered(signedAnswer)} saying the signature is missing: a server in front of your code drops headers with underscores`, underscoreFix(server))
  return warn('underscore-headers', `a signed request got ${answered(signedAnswer)} in either spelling, so this cannot tell whether X_YETTO_SIGNATURE arrives`, 'make signed-request pass first (the secret, the HMAC of the path parameter, requested_at), then run again: a header dropped on the way is found and named then')
}

function schemaCheck(documents: readonly { email: string; value: unknown }[]): CheckResult {
  if (documents.length === 0) return fail('schema', 'cannot check: no body parsed as JSON', 'fix the json check first: send the response as a JSON document')
  for (const { email, value } of documents) {
    const lenient = validate('response', value)
    if (!lenient.valid) return fail('schema', `${email}: ${describeAt(lenient.errors.slice(0, 3))}`, 'answer { "version": "2024-03-06", "customer": {…}, "sections": [link or list, …] } (schemas/customer-connection-response.schema.json)')
  }
  for (const { email, value } of documents) {
    const strict = validate('response', value, { strict: true })
    if (!strict.valid) return warn('schema', `${email}: valid, but a strict help desk would refuse ${strict.errors.slice(0, 3).map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ')}`, 'drop unknown properties and section types')
  }
  return pass('schema', 'valid, also in strict mode')
}

function templatesCheck(rendered: readonly { email: string; result: { errors: readonly RenderIssue[] } }[]): CheckResult {
  for (const { email, result } of rendered) {
    const problem = result.errors.find((e) => e.code !== 'unsafe_href' && e.code !== 'unknown_section_type')
    if (problem) return fail('templates', `${email}: ${problem.pointer}: ${problem.message}`, problem.variable ? `give every customer ${problem.variable}, or write {{ ${problem.variable} | default: "…" }}` : 'fix the Liquid template at that pointer')
  }
  return rendered.length === 0 ? fail('templates', 'cannot check: no response passed the schema', 'fix the schema check first: templates are rendered only from a valid response') : pass('templates', 'every template resolves for every customer')
}

function linksCheck(rendered: readonly { email: string; result: { errors: readonly RenderIssue[]; warnings: readonly RenderIssue[] } }[]): CheckResult {
  for (const { email, result } of rendered) {
    const unsafe = result.errors.find((e) => e.code === 'unsafe_href')
    if (unsafe) return fail('links', `${email}: ${unsafe.pointer}: ${unsafe.message}`, 'links must render to absolute https:, http: or mailto: URLs')
  }
  for (const { email, result } of rendered) {
    const suspicious = result.warnings.find((w) => w.code === 'suspicious_href')
    if (suspicious) return warn('links', `${email}: ${suspicious.pointer}: ${suspicious.message}`, 'replace the placeholder with the real host')
  }
  return rendered.length === 0 ? fail('links', 'cannot check: no response passed the schema', 'fix the schema check first: links are rendered only from a valid response') : pass('links', 'every rendered link is absolute and safe')
}
