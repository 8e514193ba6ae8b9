import { exchange, headerValue, type ExchangeFailure, type Timer } from '../http/exchange.js'
import type { Failure } from './failure.js'
import { ERROR_BODY_LIMIT } from './refusal.js'

export { systemTimer, type Timer } from '../http/exchange.js'

export interface HttpOptions {
  /** One budget for connect + headers + body, in ms. */
  readonly timeoutMs: number
  /** Bodies past this many bytes are abandoned mid-stream. */
  readonly maxResponseBytes: number
  readonly timer: Timer
}

export type HttpResult = { ok: true; status: number; body: Uint8Array } | { ok: false; error: Failure; body?: Uint8Array }

const is2xx = (status: number): boolean => status >= 200 && status <= 299

/** The exchange's failure as the help desk names it (docs/protocol.md, failure kinds). */
function failureOf(failure: ExchangeFailure): Failure {
  switch (failure.kind) {
    case 'network':
      return { kind: 'network', message: `could not reach the endpoint: ${failure.message}` }
    // A body that cannot be decoded is no JSON the help desk can read.
    case 'undecodable':
      return { kind: 'invalid_json', message: failure.message }
    default:
      return { kind: failure.kind, message: failure.message }
  }
}

/**
 * One signed GET as the help desk sends it: one deadline over connect, headers and body, no
 * redirects, content-codings undone under the size cap. Never throws for anything the endpoint does.
 */
export async function httpGet(url: string, headers: Record<string, string>, options: HttpOptions): Promise<HttpResult> {
  const answer = await exchange(
    { url, headers: { accept: 'application/json', ...headers } },
    // Refusals are read a little: the unknown-customer answer and an endpoint's error code
    // (`mismatch`, `stale`) tell a wrong secret from a skewed clock.
    { ...options, decode: true, prefixBytes: (status) => (is2xx(status) ? undefined : ERROR_BODY_LIMIT) },
  )
  if (!answer.ok) return { ok: false, error: failureOf(answer.failure) }
  const { status } = answer
  if (is2xx(status)) return { ok: true, status, body: answer.body }
  const location = headerValue(answer.headers, 'location')
  const redirect = status >= 300 && status < 400 && location ? ` redirect to ${location} (redirects are not followed)` : ''
  return { ok: false, error: { kind: 'http_status', status, message: `the endpoint answered HTTP ${status}${redirect}` }, body: answer.body }
}
