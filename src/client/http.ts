import { readBodyPrefix } from '../http/body.js'
import type { Failure } from './failure.js'

/** Where the budget's timer comes from: the platform by default, a fake in tests (no 3 s sleeps). */
export interface Timer {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemTimer: Timer = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface HttpOptions {
  /** One budget for connect + headers + body, in ms. */
  readonly timeoutMs: number
  /** Bodies past this many bytes are abandoned mid-stream. */
  readonly maxResponseBytes: number
  readonly timer: Timer
}

export type HttpResult = { ok: true; status: number; body: Uint8Array } | { ok: false; error: Failure; body?: string }

/** A refusal's body is read only this far: enough for `{"error": "customer_not_found"}` or `{"error": "stale", "message": …}`. */
const ERROR_BODY_BYTES = 4096

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])

function networkFailure(error: unknown): Failure {
  const err = error as Error & { code?: string; cause?: { code?: string; message?: string } }
  const code = err.cause?.code ?? err.code
  if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `the endpoint did not answer in time (${code})` }
  const detail = err.cause?.message ?? err.message
  return { kind: 'network', message: `could not reach the endpoint${code ? ` (${code})` : ''}: ${detail}` }
}

/**
 * One GET with a single deadline over connect, headers and body, no redirects, and a streaming
 * size cap. Uses the platform `fetch`, so test tools that intercept it (nock) work unchanged.
 * Never throws for anything the endpoint does.
 */
export async function httpGet(url: string, headers: Record<string, string>, options: HttpOptions): Promise<HttpResult> {
  const controller = new AbortController()
  const timer = options.timer.setTimeout(() => controller.abort(), options.timeoutMs)
  const timedOut = (): HttpResult => ({ ok: false, error: { kind: 'timeout', message: `no complete answer within ${options.timeoutMs} ms` } })
  try {
    let response: Response
    try {
      response = await fetch(url, { method: 'GET', headers: { accept: 'application/json', ...headers }, redirect: 'manual', signal: controller.signal })
    } catch (error) {
      return controller.signal.aborted ? timedOut() : { ok: false, error: networkFailure(error) }
    }
    // Only data that arrives within the budget counts, even from a transport that ignored the abort.
    if (controller.signal.aborted) return timedOut()
    const status = response.status
    if (status < 200 || status > 299) {
      // Refusals are read a little: the unknown-customer answer and an endpoint's error code
      // (`mismatch`, `stale`) tell a wrong secret from a skewed clock.
      const body = await readBodyPrefix(response, ERROR_BODY_BYTES)
      await response.body?.cancel().catch(() => {})
      const location = response.headers.get('location')
      const redirect = status >= 300 && status < 400 && location ? ` redirect to ${location} (redirects are not followed)` : ''
      return { ok: false, error: { kind: 'http_status', status, message: `the endpoint answered HTTP ${status}${redirect}` }, ...(body === undefined ? {} : { body }) }
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
      await response.body?.cancel().catch(() => {})
      return { ok: false, error: { kind: 'too_large', message: `the response declares ${declared} bytes, over the ${options.maxResponseBytes}-byte limit` } }
    }
    const chunks: Uint8Array[] = []
    let size = 0
    if (response.body) {
      const reader = response.body.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          size += value.byteLength
          if (size > options.maxResponseBytes) {
            await reader.cancel().catch(() => {})
            return { ok: false, error: { kind: 'too_large', message: `the response passed the ${options.maxResponseBytes}-byte limit` } }
          }
          chunks.push(value)
        }
      } catch (error) {
        return controller.signal.aborted ? timedOut() : { ok: false, error: networkFailure(error) }
      }
    }
    if (controller.signal.aborted) return timedOut()
    return { ok: true, status, body: Buffer.concat(chunks) }
  } finally {
    options.timer.clearTimeout(timer)
  }
}
