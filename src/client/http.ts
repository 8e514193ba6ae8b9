import type { Dispatcher } from 'undici'
import type { Failure } from './failure.js'

export interface HttpOptions {
  /** One budget for connect + headers + body, in ms. */
  readonly timeoutMs: number
  /** Bodies past this many bytes are abandoned mid-stream. */
  readonly maxResponseBytes: number
  readonly dispatcher?: Dispatcher
}

export type HttpResult = { ok: true; status: number; body: Buffer } | { ok: false; error: Failure }

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

class BudgetExceeded extends Error {}

function networkFailure(error: unknown): Failure {
  const err = error as Error & { code?: string; cause?: { code?: string; message?: string } }
  const code = err.code ?? err.cause?.code
  if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `the endpoint did not answer in time (${code})` }
  const detail = err.cause?.message ?? err.message
  return { kind: 'network', message: `could not reach the endpoint${code ? ` (${code})` : ''}: ${detail}` }
}

/**
 * One GET with a single deadline over connect, headers and body, no redirects (undici's
 * `request` follows none), and a streaming size cap. Never throws for anything the endpoint does.
 */
export async function httpGet(url: string, headers: Record<string, string>, options: HttpOptions): Promise<HttpResult> {
  // Loaded on first use: undici costs ~120 ms to import, which the mock's start-up should not pay.
  const { request, errors: undiciErrors } = await import('undici')
  const controller = new AbortController()
  const budget = new BudgetExceeded()
  const timer = setTimeout(() => controller.abort(budget), options.timeoutMs)
  const timedOut = (): HttpResult => ({ ok: false, error: { kind: 'timeout', message: `no complete answer within ${options.timeoutMs} ms` } })
  try {
    let response: Dispatcher.ResponseData
    try {
      response = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json', ...headers },
        signal: controller.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      })
    } catch (error) {
      return controller.signal.aborted ? timedOut() : { ok: false, error: networkFailure(error) }
    }
    const { statusCode, headers: responseHeaders, body } = response
    if (statusCode < 200 || statusCode > 299) {
      body.resume()
      body.on('error', () => {})
      const location = responseHeaders['location']
      const redirect = statusCode >= 300 && statusCode < 400 && location ? ` redirect to ${String(location)} (redirects are not followed)` : ''
      return { ok: false, error: { kind: 'http_status', status: statusCode, message: `the endpoint answered HTTP ${statusCode}${redirect}` } }
    }
    const declared = Number(responseHeaders['content-length'])
    if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
      body.destroy()
      return { ok: false, error: { kind: 'too_large', message: `the response declares ${declared} bytes, over the ${options.maxResponseBytes}-byte limit` } }
    }
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of body) {
        size += (chunk as Buffer).length
        if (size > options.maxResponseBytes) {
          body.destroy()
          return { ok: false, error: { kind: 'too_large', message: `the response passed the ${options.maxResponseBytes}-byte limit` } }
        }
        chunks.push(chunk as Buffer)
      }
    } catch (error) {
      if (controller.signal.aborted || error instanceof undiciErrors.BodyTimeoutError) return timedOut()
      return { ok: false, error: networkFailure(error) }
    }
    return { ok: true, status: statusCode, body: Buffer.concat(chunks) }
  } finally {
    clearTimeout(timer)
  }
}
