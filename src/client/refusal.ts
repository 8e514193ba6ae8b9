import { parseJson } from '../schema/index.js'

/**
 * 🔧 docs/protocol.md: the client reads a non-2xx answer's body only this far — enough for
 * `{"error": "customer_not_found"}` or `{"error": "stale", "message": …}`. The verdict tools
 * (conformance, pact verify, the proxies) judge refusals with `classifyAnswer`, so they never
 * call green what the client reads as an error.
 */
export const ERROR_BODY_LIMIT = 4096

/** 🔧 docs/protocol.md §Decided since: the unknown-customer answer. */
export const CUSTOMER_NOT_FOUND = 'customer_not_found'

/** An endpoint's error code is its own text: kept short, and only when it is a plain token. */
const ENDPOINT_ERROR = /^[A-Za-z0-9_.:-]{1,64}$/

/**
 * How the client reads an answer before it parses a 2xx body: `ok` (the body is judged next),
 * `not_found` (404 with `"error": "customer_not_found"` within the first ERROR_BODY_LIMIT bytes),
 * or `http_status` with the endpoint's `error` token when it gave one. `cappedAway` says why, when
 * the whole body would have read as `not_found` but its first ERROR_BODY_LIMIT bytes do not.
 */
export type AnswerReading = { readonly kind: 'ok' } | { readonly kind: 'not_found' } | { readonly kind: 'http_status'; readonly endpointError?: string; readonly cappedAway?: string }

function readRefusal(status: number, body: Uint8Array): AnswerReading {
  const parsed = parseJson(body)
  const error = parsed.ok && parsed.value !== null && typeof parsed.value === 'object' ? (parsed.value as { error?: unknown }).error : undefined
  const endpointError = typeof error === 'string' && ENDPOINT_ERROR.test(error) ? error : undefined
  // 🔧 docs/protocol.md: 404 {"error": "customer_not_found"} is an answer, not a fault.
  if (status === 404 && endpointError === CUSTOMER_NOT_FOUND) return { kind: 'not_found' }
  return endpointError === undefined ? { kind: 'http_status' } : { kind: 'http_status', endpointError }
}

/** The client's reading of an answer whose status and (decoded) body are known; see AnswerReading. */
export function classifyAnswer(status: number, body: Uint8Array): AnswerReading {
  if (status >= 200 && status <= 299) return { kind: 'ok' }
  const reading = readRefusal(status, body.subarray(0, ERROR_BODY_LIMIT))
  if (reading.kind !== 'http_status' || body.length <= ERROR_BODY_LIMIT || readRefusal(status, body).kind !== 'not_found') return reading
  return {
    ...reading,
    cappedAway: `the ${status} answer's body is ${body.length} bytes and the help desk reads only the first ${ERROR_BODY_LIMIT} of an error answer, which hold no complete {"error": "${CUSTOMER_NOT_FOUND}"}: it shows an error (http_status), not "no record of this customer" (not_found)`,
  }
}
