import { testConnection, type Failure } from '../client/index.js'
import { render, type RenderIssue } from '../render/index.js'
import { parseJson, validate, type RequestContext } from '../schema/index.js'
import { buildSignedRequest, HEADERS } from '../signature/index.js'

/** One named check of a live endpoint: ✔ pass, ✖ fail, ⚠ warn. */
export interface CheckResult {
  readonly name: CheckName
  readonly status: 'pass' | 'fail' | 'warn'
  readonly reason: string
  /** One line saying what to change, on ✖ and ⚠. */
  readonly fix?: string
}

export const CHECK_NAMES = [
  'reachable',
  'challenge',
  'signed-request',
  'rejects-unsigned',
  'rejects-forged',
  'latency',
  'content-type',
  'json',
  'size',
  'schema',
  'templates',
  'links',
  'unknown-customer',
  'underscore-headers',
] as const
export type CheckName = (typeof CHECK_NAMES)[number]

/** 🔧 docs/protocol.md: the budget, the size cap, and when latency deserves a warning. */
export const CONFORMANCE_DEFAULTS = Object.freeze({
  budgetMs: 3000,
  warnAboveMs: 1500,
  maxResponseBytes: 512 * 1024, // 512 KiB
  requests: 10,
  concurrency: 4,
  emails: ['kelly@example.com'] as readonly string[],
  unknownEmail: 'nobody@unknown.invalid',
})

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
  readonly error?: string
  readonly timedOut?: boolean
  readonly tooLarge?: boolean
}

const context = (email: string): RequestContext => ({ reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conformance' }, requester: { email } })

/** One GET with the help desk's budget and size cap, keeping everything a check needs. */
export async function exchange(url: string, headers: Record<string, string>): Promise<Exchange> {
  const started = performance.now()
  const signal = AbortSignal.timeout(CONFORMANCE_DEFAULTS.budgetMs)
  try {
    const response = await fetch(url, { headers: { accept: 'application/json', ...headers }, redirect: 'manual', signal })
    const chunks: Uint8Array[] = []
    let size = 0
    let tooLarge = false
    if (response.body) {
      const reader = response.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > CONFORMANCE_DEFAULTS.maxResponseBytes) {
          tooLarge = true
          await reader.cancel().catch(() => {})
          break
        }
        chunks.push(value)
      }
    }
    return { status: response.status, contentType: response.headers.get('content-type'), body: Buffer.concat(chunks), latencyMs: Math.round(performance.now() - started), ...(tooLarge ? { tooLarge } : {}) }
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } }
    const timedOut = signal.aborted
    return { status: null, contentType: null, body: null, latencyMs: Math.round(performance.now() - started), timedOut, error: timedOut ? `no complete answer within ${CONFORMANCE_DEFAULTS.budgetMs} ms` : explainNetwork(err.cause?.code ?? err.name, err.cause?.message ?? err.message) }
  }
}

function explainNetwork(code: string, message: string): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name does not resolve (${code}): check the URL`
  if (code === 'ECONNREFUSED') return 'the connection was refused (ECONNREFUSED): nothing listens at that address and port'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `the connection was reset (${code}) before an answer came`
  if (/CERT|SSL|TLS/i.test(code) || /certificate/i.test(message)) return `the TLS handshake failed (${code}): the certificate must be valid for the host`
  return `${code}: ${message}`
}

const pass = (name: CheckName, reason: string): CheckResult => ({ name, status: 'pass', reason })
const fail = (name: CheckName, reason: string, fix: string): CheckResult => ({ name, status: 'fail', reason, fix })
const warn = (name: CheckName, reason: string, fix: string): CheckResult => ({ name, status: 'warn', reason, fix })

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0

function describeFailure(failure: Failure): string {
  return `${failure.kind}: ${failure.message}`
}

/**
 * Runs every check against a live endpoint and explains each failure with a fix. Never throws
 * for what the endpoint does.
 */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const emails = options.emails && options.emails.length > 0 ? options.emails : CONFORMANCE_DEFAULTS.emails
  const unknownEmail = options.unknownEmail ?? CONFORMANCE_DEFAULTS.unknownEmail
  const signed = (email: string) => buildSignedRequest({ url: options.url, secret: options.secret, context: context(email) })
  const results: CheckResult[] = []

  // reachable: any HTTP answer at all.
  const first = signed(emails[0]!)
  const firstExchange = await exchange(first.url, first.headers)
  if (firstExchange.status === null && !firstExchange.timedOut) {
    results.push(fail('reachable', firstExchange.error ?? 'no answer', 'start the endpoint, and check the URL, DNS and TLS certificate'))
    return results
  }
  results.push(firstExchange.status === null ? warn('reachable', `the server accepted the connection but ${firstExchange.error}`, 'answer within 3 s') : pass('reachable', `answered HTTP ${firstExchange.status}`))

  // challenge
  const challenge = await testConnection({ url: options.url, secret: options.secret }, { timeoutMs: CONFORMANCE_DEFAULTS.budgetMs })
  results.push(challenge.ok ? pass('challenge', `echoed within ${challenge.latencyMs} ms`) : fail('challenge', describeFailure(challenge.error), 'when reason is "challenge", answer 200 {"challenge": <the same string>} within 3 s'))

  // signed-request, and one exchange per customer e-mail for the content checks
  const exchanges: { email: string; exchange: Exchange }[] = [{ email: emails[0]!, exchange: firstExchange }]
  for (const email of emails.slice(1)) {
    const request = signed(email)
    exchanges.push({ email, exchange: await exchange(request.url, request.headers) })
  }
  const refused = exchanges.find((e) => e.exchange.status === 401 || e.exchange.status === 403)
  const erred = exchanges.find((e) => e.exchange.status !== null && (e.exchange.status < 200 || e.exchange.status > 299))
  const signatureMissing = refused ? /missing/i.test(refused.exchange.body?.toString() ?? '') : false
  results.push(
    refused
      ? fail('signed-request', `a correctly signed request for ${refused.email} got ${refused.exchange.status}`, 'verify X_YETTO_SIGNATURE as sha256=<hex HMAC-SHA256 of the path parameter> with the secret the help desk shows')
      : erred
        ? fail('signed-request', `a correctly signed request for ${erred.email} got HTTP ${erred.exchange.status}`, 'answer a known customer with 200 and the response JSON (unknown ones with 404 customer_not_found)')
        : pass('signed-request', `accepted (${exchanges.map((e) => e.exchange.status ?? 'no answer').join(', ')})`),
  )

  // rejects-unsigned, rejects-forged
  const unsigned = await exchange(first.url, {})
  const forged = await exchange(first.url, { [HEADERS.signature]: `sha256=${'0'.repeat(64)}` })
  for (const [name, answer] of [['rejects-unsigned', unsigned], ['rejects-forged', forged]] as const) {
    if (answer.status === 401 || answer.status === 403) results.push(pass(name, `refused (${answer.status})`))
    else if (answer.status !== null && answer.status >= 200 && answer.status < 300) results.push(fail(name, `answered ${answer.status} with data: anyone could read customer data`, 'refuse requests whose signature is missing or wrong with 401, before looking up the customer'))
    else results.push(warn(name, `answered ${answer.status ?? answer.error}`, 'answer 401 for a missing or wrong signature'))
  }

  // latency: sequential, then concurrent
  const total = options.requests ?? CONFORMANCE_DEFAULTS.requests
  const concurrency = options.concurrency ?? CONFORMANCE_DEFAULTS.concurrency
  const timings: number[] = []
  let timeouts = 0
  let done = 0
  const sample = async () => {
    const request = signed(emails[done % emails.length]!)
    const answer = await exchange(request.url, request.headers)
    timings.push(answer.latencyMs)
    if (answer.timedOut) timeouts++
    options.onProgress?.(++done, total * 2)
  }
  for (let i = 0; i < total; i++) await sample()
  let started = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, async () => {
    while (started++ < total) await sample()
  }))
  const sorted = [...timings].sort((a, b) => a - b)
  const stats = `p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, max ${sorted.at(-1) ?? 0} ms over ${sorted.length} requests (${concurrency} at once for half)`
  if (timeouts > 0 || (sorted.at(-1) ?? 0) > CONFORMANCE_DEFAULTS.budgetMs) results.push(fail('latency', `${timeouts} of ${sorted.length} requests took longer than 3 s; ${stats}`, 'answer within 3 s: the help desk shows an error past it (cache what is slow to compute)'))
  else if (percentile(sorted, 95) > CONFORMANCE_DEFAULTS.warnAboveMs) results.push(warn('latency', stats, 'keep answers well under 3 s (p95 under 1.5 s) so a slow moment does not become an error'))
  else results.push(pass('latency', stats))

  // content checks on the customers' answers
  const answered = exchanges.filter((e) => e.exchange.status !== null && e.exchange.status >= 200 && e.exchange.status < 300)
  if (answered.length === 0) {
    const why = exchanges[0]!.exchange.timedOut ? 'no answer came within 3 s' : `no customer request was answered 2xx (${exchanges.map((e) => e.exchange.status ?? e.exchange.error).join(', ')})`
    for (const name of ['content-type', 'json', 'size', 'schema', 'templates', 'links'] as const) results.push(fail(name, `cannot check: ${why}`, 'answer a signed request for a known customer with 200 and the response JSON'))
  } else {
    const wrongType = answered.find((e) => !/^application\/(.+\+)?json\b/i.test(e.exchange.contentType ?? ''))
    results.push(wrongType ? fail('content-type', `${wrongType.email}: Content-Type is ${JSON.stringify(wrongType.exchange.contentType)}`, 'send Content-Type: application/json') : pass('content-type', 'application/json'))
    const tooLarge = answered.find((e) => e.exchange.tooLarge)
    results.push(tooLarge ? fail('size', `${tooLarge.email}: the body passed ${CONFORMANCE_DEFAULTS.maxResponseBytes} bytes`, 'keep a response under 512 KiB: send what the sidebar shows, not whole records') : pass('size', `largest ${Math.max(...answered.map((e) => e.exchange.body?.byteLength ?? 0))} bytes`))
    const parsed = answered.map((e) => ({ email: e.email, parsed: e.exchange.tooLarge ? undefined : parseJson(e.exchange.body ?? Buffer.alloc(0)) }))
    const badJson = parsed.find((p) => p.parsed && !p.parsed.ok)
    results.push(badJson && badJson.parsed && !badJson.parsed.ok ? fail('json', `${badJson.email}: ${badJson.parsed.error.message}`, 'send the JSON document whole, as JSON (no HTML error pages, no trailing commas)') : pass('json', 'every body parses'))
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
  const unknownAnswer = await exchange(unknown.url, unknown.headers)
  const unknownBody = unknownAnswer.body ? parseJson(unknownAnswer.body) : undefined
  if (unknownAnswer.status === 404 && unknownBody?.ok && (unknownBody.value as { error?: unknown } | null)?.error === 'customer_not_found') results.push(pass('unknown-customer', `404 customer_not_found for ${unknownEmail}`))
  else if (unknownAnswer.status !== null && unknownAnswer.status >= 200 && unknownAnswer.status < 300) results.push(fail('unknown-customer', `${unknownEmail} got ${unknownAnswer.status} with data`, 'answer 404 {"error": "customer_not_found"} for an e-mail with no customer record (docs/protocol.md)'))
  else results.push(warn('unknown-customer', `${unknownEmail} got ${unknownAnswer.status ?? unknownAnswer.error}`, 'answer 404 {"error": "customer_not_found"} so the help desk can say "no customer record" instead of an error'))

  // underscore-headers: a refused signed request that passes with the dashed spelling means a proxy drops underscores
  if (refused || signatureMissing) {
    const dashed = await exchange(first.url, { 'X-Yetto-Signature': first.signature })
    results.push(
      dashed.status !== null && dashed.status >= 200 && dashed.status < 300
        ? fail('underscore-headers', 'X_YETTO_SIGNATURE never arrived, but X-Yetto-Signature did: something in front drops headers with underscores', 'nginx: underscores_in_headers on; or read the header in either spelling')
        : warn('underscore-headers', 'the signature was refused either way: not a header-name problem', 'see signed-request'),
    )
  } else {
    results.push(pass('underscore-headers', 'X_YETTO_SIGNATURE arrives'))
  }
  return results
}

function schemaCheck(documents: readonly { email: string; value: unknown }[]): CheckResult {
  if (documents.length === 0) return fail('schema', 'cannot check: no body parsed', 'see json')
  for (const { email, value } of documents) {
    const lenient = validate('response', value)
    if (!lenient.valid) return fail('schema', `${email}: ${lenient.errors.slice(0, 3).map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ')}`, 'answer { "version": "2024-03-06", "customer": {…}, "sections": [link or list, …] } (schemas/customer-connection-response.schema.json)')
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
  return rendered.length === 0 ? fail('templates', 'cannot check: no valid response', 'see schema') : pass('templates', 'every template resolves for every customer')
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
  return rendered.length === 0 ? fail('links', 'cannot check: no valid response', 'see schema') : pass('links', 'every rendered link is absolute and safe')
}
