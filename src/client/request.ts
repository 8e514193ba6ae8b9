import { randomBytes } from 'node:crypto'
import { render, type RenderResult } from '../render/index.js'
import { parseJson, validate, type CustomerConnectionResponse, type RequestContext } from '../schema/index.js'
import { buildSignedRequest, type Secret, type Signer } from '../signature/index.js'
import type { Failure } from './failure.js'
import { httpGet, systemTimer, type Timer } from './http.js'
import { CkitError } from '../errors.js'
import { HELP_DESK_LIMITS } from '../http/limits.js'
import { classifyAnswer } from './refusal.js'

export { CUSTOMER_NOT_FOUND } from './refusal.js'

/** 🔧 docs/protocol.md: the help desk's budget and size cap, lenient validation and rendering. */
export const CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: HELP_DESK_LIMITS.answerBudgetMs,
  maxResponseBytes: HELP_DESK_LIMITS.maxResponseBytes,
  strict: false,
})

export interface Connection {
  /** The configured URL; the path parameter is appended to it. */
  readonly url: string
  readonly secret: Secret | Signer
}

export interface ClientOptions {
  /** One budget for connect, headers and body (default 3000). */
  readonly timeoutMs?: number
  /** Larger bodies are `too_large` (default 512 KiB). */
  readonly maxResponseBytes?: number
  /** The budget's timer (default the platform's); tests inject a fake one instead of waiting. */
  readonly timer?: Timer
  /** Unknown section types, unknown properties and undefined variables fail the request. */
  readonly strict?: boolean
  /** Extra request headers (tracing, a mock's X-Mock-Scenario); the signature header always wins. */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * Two figures, because validation and rendering come after the transfer:
 * - `answeredInMs`: request sent → last byte received (or the failure). The budget (`timeoutMs`,
 *   3 s) applies to this one, so it never exceeds the budget by more than the timer's lateness.
 * - `latencyMs`: the whole call, including parsing, validation and rendering; it can exceed the budget.
 */
export interface Timing {
  readonly answeredInMs: number
  readonly latencyMs: number
}

export type CustomerDataResult =
  | ({ readonly ok: true; readonly response: CustomerConnectionResponse; readonly rendered: RenderResult } & Timing)
  | ({ readonly ok: false; readonly error: Failure } & Timing)

type Parsed = ({ ok: true; value: unknown } | { ok: false; error: Failure }) & { answeredInMs: number }

function invalidOption(name: string, expected: string, given: unknown): never {
  throw new CkitError('CKIT_CLIENT_INVALID_OPTION', `client option ${name} must be ${expected}, instead got ${typeof given === 'number' ? String(given) : (JSON.stringify(given) ?? typeof given)}`)
}

const wholeNumber = (name: string, value: unknown, max: number): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) invalidOption(name, `a whole number from 1 to ${max}`, value)
  return value
}

interface ResolvedClientOptions {
  readonly timeoutMs: number
  readonly maxResponseBytes: number
  readonly strict: boolean
  readonly headers: Readonly<Record<string, string>>
  readonly timer: Timer
}

/** Checks options when they are given: `timeoutMs: NaN` used to become an instant timeout, `maxResponseBytes: -1` an instant too_large. */
function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (options === null || typeof options !== 'object') invalidOption('options', 'an object', options)
  const headers = options.headers ?? {}
  if (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string')) invalidOption('headers', 'an object of string values', headers)
  if (options.strict !== undefined && typeof options.strict !== 'boolean') invalidOption('strict', 'true or false', options.strict)
  const timer = options.timer ?? systemTimer
  if (typeof timer?.setTimeout !== 'function' || typeof timer.clearTimeout !== 'function') invalidOption('timer', 'an object with setTimeout and clearTimeout', '…')
  return {
    timeoutMs: wholeNumber('timeoutMs', options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs, 600_000),
    maxResponseBytes: wholeNumber('maxResponseBytes', options.maxResponseBytes ?? CLIENT_DEFAULTS.maxResponseBytes, 1024 * 1024 * 1024),
    strict: options.strict ?? CLIENT_DEFAULTS.strict,
    headers,
    timer,
  }
}

async function fetchJson(connection: Connection, context: RequestContext, options: ResolvedClientOptions): Promise<Parsed> {
  const signed = buildSignedRequest({ url: connection.url, secret: connection.secret, context })
  const start = performance.now()
  const http = await httpGet(signed.url, { ...options.headers, ...signed.headers }, options)
  const answeredInMs = elapsed(start)
  if (!http.ok) {
    const reading = http.error.status === undefined || http.body === undefined ? undefined : classifyAnswer(http.error.status, http.body)
    if (reading?.kind === 'not_found') {
      return { ok: false, error: { kind: 'not_found', status: 404, message: `no customer record for ${context.requester?.email ?? 'this requester'}` }, answeredInMs }
    }
    const endpointError = reading?.kind === 'http_status' ? reading.endpointError : undefined
    if (endpointError === undefined) return { ok: false, error: http.error, answeredInMs }
    return { ok: false, error: { ...http.error, endpointError, message: `${http.error.message} ("error": "${endpointError}"${ENDPOINT_ERROR_HINTS[endpointError] ?? ''})` }, answeredInMs }
  }
  const parsed = parseJson(http.body)
  if (!parsed.ok) return { ok: false, error: { kind: 'invalid_json', message: `the response is not JSON: ${parsed.error.message}` }, answeredInMs }
  return { ...parsed, answeredInMs }
}

/** What the refusals our signature helpers send mean (docs/protocol.md), said once for every caller. */
const ENDPOINT_ERROR_HINTS: Readonly<Record<string, string>> = {
  mismatch: ': the endpoint verifies with another signing secret',
  stale: ": requested_at is outside the endpoint's freshness window; check both clocks",
  missing: ': the signature header did not arrive (a proxy may drop headers with underscores)',
  malformed: ': the signature header arrived changed',
}

const elapsed = (start: number): number => Math.round(performance.now() - start)

/**
 * Asks a customer endpoint for data, as the help desk does when a conversation opens, an
 * automation runs or the agent refreshes: signed GET, one deadline, size cap, then parse,
 * validate and render. Never throws for anything the endpoint does; throws CkitError for misuse
 * (an invalid URL or context).
 */
export async function requestCustomerData(connection: Connection, context: RequestContext, clientOptions: ClientOptions = {}): Promise<CustomerDataResult> {
  const options = resolveClientOptions(clientOptions)
  const start = performance.now()
  const { strict } = options
  const parsed = await fetchJson(connection, context, options)
  const { answeredInMs } = parsed
  if (!parsed.ok) return { ok: false, error: parsed.error, answeredInMs, latencyMs: elapsed(start) }
  const checked = validate('response', parsed.value, { strict })
  if (!checked.valid) {
    const first = checked.errors[0]!
    const error: Failure = {
      kind: 'schema_invalid',
      message: `the response breaks the contract: ${first.pointer || '/'}: ${first.message}${checked.errors.length > 1 ? ` (and ${checked.errors.length - 1} more)` : ''}`,
      pointers: checked.errors.map((e) => e.pointer),
    }
    return { ok: false, error, answeredInMs, latencyMs: elapsed(start) }
  }
  const rendered = render(checked.value, { strict })
  if (rendered.errors.length > 0) {
    const first = rendered.errors[0]!
    const error: Failure = {
      kind: 'template_error',
      message: `the response cannot be displayed: ${first.pointer}: ${first.message}${rendered.errors.length > 1 ? ` (and ${rendered.errors.length - 1} more)` : ''}`,
      pointers: rendered.errors.map((e) => e.pointer),
    }
    return { ok: false, error, answeredInMs, latencyMs: elapsed(start) }
  }
  return { ok: true, response: checked.value, rendered, answeredInMs, latencyMs: elapsed(start) }
}

export type TestConnectionResult = ({ readonly ok: true } & Timing) | ({ readonly ok: false; readonly error: Failure } & Timing)

/** The set-up check (the Test button): a random challenge that must come back unchanged within the budget. */
export async function testConnection(connection: Connection, testOptions: ClientOptions & { inbox?: string; now?: () => Date; challenge?: string } = {}): Promise<TestConnectionResult> {
  const options = resolveClientOptions(testOptions)
  const start = performance.now()
  // Random unless given: contract tests record one fixed challenge so the pact file is reproducible.
  const challenge = testOptions.challenge ?? randomBytes(16).toString('hex')
  const context: RequestContext = {
    reason: 'challenge',
    requested_at: (testOptions.now?.() ?? new Date()).toISOString(),
    inbox: { slug: testOptions.inbox ?? 'connection-test' },
    challenge,
  }
  const parsed = await fetchJson(connection, context, options)
  const { answeredInMs } = parsed
  if (!parsed.ok) return { ok: false, error: parsed.error, answeredInMs, latencyMs: elapsed(start) }
  const echoed = (parsed.value as { challenge?: unknown } | null)?.challenge
  if (echoed !== challenge) {
    const message = echoed === undefined ? 'the response has no "challenge" field' : 'the response echoed a different challenge'
    return { ok: false, error: { kind: 'bad_challenge', message }, answeredInMs, latencyMs: elapsed(start) }
  }
  return { ok: true, answeredInMs, latencyMs: elapsed(start) }
}
