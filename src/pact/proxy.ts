import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { classifyAnswer } from '../client/index.js'
import { CkitError } from '../errors.js'
import { errorCode, exchange, type ExchangeFailure } from '../http/exchange.js'
import { forwardableHeaders } from '../http/headers.js'
import { HEADERS } from '../signature/index.js'
import { ANSWER_LIMITS, headerProblem, lateMessage, linkProblems, neutraliseBody, noAnswerMessage, tooLargeMessage } from './answer.js'
import { foreignSecretFor, freshChallenge, recordedSignatureOf, resignRequest, type RecordedSignature } from './resign.js'

/** The proxy's own route for Pact's state-change requests; everything else goes to the provider. */
export const STATE_ROUTE = '/_ckit/state'

export type StateHandler = (() => unknown) | { setup?: (params?: unknown) => unknown; teardown?: (params?: unknown) => unknown }

export interface ContractProxyOptions {
  /** The endpoint as configured in the help desk, e.g. http://127.0.0.1:3000/yetto. */
  readonly providerBaseUrl: string
  /** The secret the endpoint verifies with. */
  readonly secret: string
  /** The provider's Pact state-change URL: each state-change request is relayed there. */
  readonly stateChangeUrl?: string
  /** In-process state handlers (tests), by state sentence. */
  readonly stateHandlers?: Readonly<Record<string, StateHandler>>
  readonly port?: number
  readonly host?: string
  readonly budgetMs?: number
  readonly maxResponseBytes?: number
  /** How long a state change may take (default STATE_TIMEOUT_MS); tests shorten it. */
  readonly stateTimeoutMs?: number
  /** Called after each relayed request and each state change (the CLI logs them). */
  readonly onEvent?: (event: ProxyExchange | StateCall) => void
}

/** One recorded request relayed to the provider, and what the proxy found wrong with the answer. */
export interface ProxyExchange {
  readonly kind: 'request'
  /** The request as the verifier sent it (recorded path and signature header): identifies the interaction. */
  readonly key: string
  readonly recorded: RecordedSignature
  /** The provider's status, when it answered at all. */
  readonly status: number | undefined
  readonly elapsedMs: number
  /** Empty when the help desk would accept the answer as it is; otherwise the verifier sees 502. */
  readonly findings: readonly string[]
}

export interface StateCall {
  readonly kind: 'state'
  readonly state: string
  readonly action: string
  readonly params: unknown
  /** The state-change URL's status, when one was called and answered. */
  readonly status: number | undefined
  /** Why the state change failed, naming the state; undefined when it did not. */
  readonly failure: string | undefined
}

export interface RunningContractProxy {
  /** Point a Pact verifier here (as the provider base URL). */
  readonly url: string
  /** Point a Pact verifier's state-change URL here to have states relayed and recorded. */
  readonly stateUrl: string
  readonly exchanges: readonly ProxyExchange[]
  readonly stateCalls: readonly StateCall[]
  close(): Promise<void>
}

export const exchangeKey = (method: string, path: string, signature: string | undefined): string => `${method.toUpperCase()} ${path} ${signature ?? '-'}`

/** Set by the exchange for the upstream request itself; forwardableHeaders drops the hop-by-hop ones. */
const SET_BY_THE_PROXY = ['host', 'content-length', 'accept-encoding']
// Node lower-cases incoming header names; readHeader accepts both spellings, so both are replaced.
const SIGNATURE_SPELLINGS = new Set([HEADERS.signature.toLowerCase(), HEADERS.signature.toLowerCase().replace(/_/g, '-')])
/**
 * The Pact core waits 10 s per state change and retries it 3 times: a hanging state-change URL
 * would cost 30 s a change. The proxy answers first, once, within this bound.
 */
export const STATE_TIMEOUT_MS = 5_000
const MAX_REQUEST_BYTES = 64 * 1024

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_REQUEST_BYTES) throw new Error(`request body over ${MAX_REQUEST_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

const failWith = (res: ServerResponse, status: number, message: string) => {
  // The header repeats the message for verifiers that show headers only; ASCII-safe by JSON escaping.
  const ascii = JSON.stringify(message).slice(1, -1).replace(/[^\u0020-\u007e]/g, '?')
  res.writeHead(status, { 'content-type': 'application/json', 'x-ckit-finding': ascii }).end(JSON.stringify({ error: 'ckit_contract_proxy', message }))
}

function parseBase(providerBaseUrl: string): URL {
  let base: URL
  try {
    base = new URL(providerBaseUrl)
  } catch {
    throw new CkitError('CKIT_PACT_INVALID_OPTION', `the provider base URL must be an absolute http: or https: URL, instead got ${JSON.stringify(providerBaseUrl)}`)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CkitError('CKIT_PACT_INVALID_OPTION', `the provider base URL must be an absolute http: or https: URL, instead got ${JSON.stringify(providerBaseUrl)}`)
  return base
}

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly elapsedMs: number
}
type Outcome = { ok: true; answer: Answer } | { ok: false; status: number | undefined; elapsedMs: number; finding: string }

/** Why the help desk would have no answer, in the words the verifier shows. */
function findingOf(failure: ExchangeFailure, limits: { budgetMs: number; maxResponseBytes: number }, waitedMs: number, answered: boolean): string {
  switch (failure.kind) {
    case 'timeout':
      return noAnswerMessage(waitedMs, limits.budgetMs)
    case 'too_large':
      return failure.declared !== undefined ? tooLargeMessage(limits.maxResponseBytes, failure.declared) : `${tooLargeMessage(limits.maxResponseBytes)}${failure.coding ? ` (decoded from ${failure.coding})` : ''}`
    case 'undecodable':
      return failure.message
    case 'network':
      return answered ? `the answer broke off (${failure.code ?? failure.message})` : `the provider could not be reached (${failure.code ?? failure.message})`
  }
}

/**
 * One request to the provider as the help desk's client makes it (the budget plus a grace to
 * time a late answer, the size cap on decoded bytes), with a leading UTF-8 BOM dropped as its
 * JSON parser does: the Pact core would choke on an encoded body or a BOM, a false red.
 */
async function send(target: URL, headers: Record<string, string>, method: string, limits: { budgetMs: number; maxResponseBytes: number }): Promise<Outcome> {
  const waitedMs = limits.budgetMs + ANSWER_LIMITS.graceMs
  const sent = await exchange({ url: target, method, headers }, { timeoutMs: waitedMs, maxResponseBytes: limits.maxResponseBytes, decode: true })
  if (!sent.ok) return { ok: false, status: sent.status, elapsedMs: sent.latencyMs, finding: findingOf(sent.failure, limits, waitedMs, sent.status !== undefined) }
  const body = sent.body[0] === 0xef && sent.body[1] === 0xbb && sent.body[2] === 0xbf ? sent.body.subarray(3) : sent.body
  return { ok: true, answer: { status: sent.status, headers: sent.headers, body, elapsedMs: sent.latencyMs } }
}

export const redirectMessage = (status: number, location: string | undefined): string => `answered HTTP ${status}${location ? ` (redirect to ${location.slice(0, 200)})` : ''}; the help desk does not follow redirects`
export const CHALLENGE_ECHO_MESSAGE = 'echoed a challenge it did not receive: the help desk sends a new random challenge each time'

/** What the help desk would refuse in an answer that arrived whole. */
function answerFindings(answer: Answer, budgetMs: number): string[] {
  const findings: string[] = []
  if (answer.elapsedMs > budgetMs) findings.push(lateMessage(answer.elapsedMs, budgetMs))
  // Relayed, a 3xx would be followed by the Pact core, past every check here.
  if (answer.status >= 300 && answer.status < 400) findings.push(redirectMessage(answer.status, answer.headers.location))
  const header = headerProblem(answer.headers)
  if (header) findings.push(header)
  // The verifier matches the whole body; the help desk reads only the start of a refusal's.
  const reading = classifyAnswer(answer.status, answer.body)
  if (reading.kind === 'http_status' && reading.cappedAway) findings.push(reading.cappedAway)
  const type = String(answer.headers['content-type'] ?? '')
  if (answer.status >= 200 && answer.status < 300 && /json/i.test(type)) {
    try {
      findings.push(...linkProblems(JSON.parse(answer.body.toString('utf8'))))
    } catch {
      // A body that is not JSON is the verifier's to report, with its own mismatch.
    }
  }
  return findings
}

function challengeOf(body: Buffer): { present: false } | { present: true; value: unknown; document: Record<string, unknown> } {
  try {
    const document = JSON.parse(body.toString('utf8')) as unknown
    if (typeof document === 'object' && document !== null && !Array.isArray(document) && 'challenge' in document) return { present: true, value: (document as { challenge: unknown }).challenge, document: document as Record<string, unknown> }
  } catch {
    // Not JSON: the verifier reports the body mismatch itself.
  }
  return { present: false }
}

/**
 * A re-signing HTTP proxy between any Pact verifier and a customer endpoint: it makes the
 * contract's recorded requests valid for this endpoint now (resign.ts), relays Pact state changes,
 * and fails (502, the reason in the body and `x-ckit-finding`) every answer the help desk would
 * drop: later than the 3 s budget, over 512 KiB, non-ASCII headers, a link it would not open, or
 * an unknown-customer 404 whose `customer_not_found` lies past the part of the body the client reads.
 */
export async function startContractProxy(options: ContractProxyOptions): Promise<RunningContractProxy> {
  if (typeof options.secret !== 'string' || options.secret === '') throw new CkitError('CKIT_SIG_MISSING_SECRET', 'the contract proxy needs the signing secret the endpoint verifies with')
  const base = parseBase(options.providerBaseUrl)
  const stateTarget = options.stateChangeUrl === undefined ? undefined : parseBase(options.stateChangeUrl)
  const basePath = base.pathname === '/' ? '' : base.pathname
  const foreignSecret = foreignSecretFor(options.secret)
  const limits = { budgetMs: options.budgetMs ?? ANSWER_LIMITS.budgetMs, maxResponseBytes: options.maxResponseBytes ?? ANSWER_LIMITS.maxResponseBytes }
  const exchanges: ProxyExchange[] = []
  const stateCalls: StateCall[] = []
  const record = <T extends ProxyExchange | StateCall>(list: T[], event: T) => {
    list.push(event)
    options.onEvent?.(event)
  }

  // The Pact core retries a failed state change: one that hung is not waited for again.
  const hung = new Map<string, string>()
  const stateTimeoutMs = options.stateTimeoutMs ?? STATE_TIMEOUT_MS
  async function changeState(req: IncomingMessage, res: ServerResponse) {
    let body: { state?: unknown; params?: unknown; action?: unknown }
    try {
      body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as typeof body
    } catch (error) {
      return failWith(res, 400, `a state-change request must be JSON { state, params, action }: ${(error as Error).message}`)
    }
    const state = typeof body.state === 'string' ? body.state : ''
    const action = body.action === 'teardown' ? 'teardown' : 'setup'
    const params = body.params ?? {}
    const named = `provider state ${JSON.stringify(state)} (${action})`
    let status: number | undefined
    let failure: string | undefined
    try {
      const handler = options.stateHandlers?.[state]
      if (typeof handler === 'function') {
        if (action === 'setup') await handler()
      } else if (handler) await handler[action]?.(params)
      if (stateTarget && hung.has(named)) failure = hung.get(named)
      else if (stateTarget) {
        // Only the status matters: the body is not read.
        const sent = await exchange({ url: stateTarget, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state, params, action }) }, { timeoutMs: stateTimeoutMs, maxResponseBytes: 0, prefixBytes: () => 0 })
        if (sent.ok) {
          status = sent.status
          if (status < 200 || status > 299) failure = `${named}: the state-change URL ${stateTarget.href} answered ${status}`
        } else if (sent.failure.kind === 'timeout') {
          failure = `${named}: no answer within ${stateTimeoutMs} ms from the state-change URL ${stateTarget.href}`
          hung.set(named, failure)
        } else failure = `${named}: the state-change URL ${stateTarget.href} could not be reached (${sent.failure.kind === 'network' ? (sent.failure.code ?? sent.failure.message) : sent.failure.message})`
      }
    } catch (error) {
      failure = `${named}: the state handler failed (${errorCode(error) ?? (error as Error).message})`
    }
    record(stateCalls, { kind: 'state', state, action, params, status, failure })
    if (failure) return failWith(res, 500, failure)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  }

  async function relay(req: IncomingMessage, res: ServerResponse) {
    const recordedHeader = recordedSignatureOf(req.headers as Record<string, unknown>)
    const key = exchangeKey(req.method ?? 'GET', req.url ?? '/', recordedHeader)
    const resigned = resignRequest(req.url ?? '/', req.headers as Record<string, unknown>, { secret: options.secret, foreignSecret, basePath, challenge: freshChallenge() })
    // The exchange asks for what the help desk's client accepts (gzip, deflate, br); the answer is
    // decoded here and relayed identity-encoded.
    const headers = forwardableHeaders(req.headers, [...SET_BY_THE_PROXY, ...SIGNATURE_SPELLINGS])
    if (resigned.signature !== undefined) headers[HEADERS.signature] = resigned.signature
    const target = new URL(resigned.url, base.origin)
    target.search = base.search
    const outcome = await send(target, headers, req.method ?? 'GET', limits)
    const findings = outcome.ok ? answerFindings(outcome.answer, limits.budgetMs) : [outcome.finding]
    let body = outcome.ok ? outcome.answer.body : Buffer.alloc(0)
    if (outcome.ok && resigned.challenge && outcome.answer.status >= 200 && outcome.answer.status < 300) {
      const echoed = challengeOf(body)
      // The verifier compares with the recorded value: it gets that back only for a true echo.
      if (echoed.present && echoed.value !== resigned.challenge.sent) findings.push(CHALLENGE_ECHO_MESSAGE)
      else if (echoed.present) body = Buffer.from(JSON.stringify({ ...echoed.document, challenge: resigned.challenge.recorded }))
    }
    record(exchanges, { kind: 'request', key, recorded: resigned.recorded, status: outcome.ok ? outcome.answer.status : outcome.status, elapsedMs: Math.round(outcome.ok ? outcome.answer.elapsedMs : outcome.elapsedMs), findings })
    if (findings.length > 0 || !outcome.ok) return failWith(res, 502, findings.join('; '))
    // The body is decoded and may be rewritten (challenge, escapes): its coding and length are not relayed.
    res.writeHead(outcome.answer.status, forwardableHeaders(outcome.answer.headers, ['content-length', 'content-encoding'])).end(neutraliseBody(body, String(outcome.answer.headers['content-type'] ?? '')))
  }

  const server = createServer((req, res) => {
    const handle = req.method === 'POST' && req.url === STATE_ROUTE ? changeState(req, res) : relay(req, res)
    handle.catch((error: Error) => {
      if (!res.headersSent) failWith(res, 500, `the contract proxy failed: ${error.message}`)
      else res.destroy()
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new CkitError('CKIT_PACT_INVALID_OPTION', `the contract proxy cannot listen on ${host}:${options.port ?? 0} (${error.code ?? error.message})`, { cause: error })))
    server.listen(options.port ?? 0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  return {
    url,
    stateUrl: `${url}${STATE_ROUTE}`,
    exchanges,
    stateCalls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
