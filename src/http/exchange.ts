import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { pipeline, type Readable, type Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'

/**
 * Where the budget's timer comes from: the platform by default, a fake in tests (no 3 s sleeps).
 * The platform's timer is ref'd, so the process stays alive while an exchange waits for it
 * (`AbortSignal.timeout`'s unref'd timer let senders exit 13 with a request still pending).
 */
export interface Timer {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemTimer: Timer = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface ExchangeRequest {
  /** An absolute http: or https: URL. */
  readonly url: string | URL
  /** GET unless given. */
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
}

export interface ExchangeOptions {
  /** One budget for connect, headers and body, in ms. */
  readonly timeoutMs: number
  /** Bodies past this many (decoded) bytes are abandoned mid-stream: `too_large`. */
  readonly maxResponseBytes: number
  readonly timer?: Timer
  /**
   * Ask for gzip, deflate and br (unless the request names its own Accept-Encoding) and undo them,
   * as the help desk's client does; the cap counts decoded bytes, so a small bomb is still too large.
   */
  readonly decode?: boolean
  /**
   * For answers whose body matters only by its start (a refusal's error code) or not at all: the
   * number of bytes to keep for this status; the rest is never read and is no failure.
   */
  readonly prefixBytes?: (status: number) => number | undefined
  /** Name resolution, e.g. one that refuses private addresses (automations). */
  readonly lookup?: LookupFunction
}

export type ExchangeFailure =
  | { readonly kind: 'timeout'; readonly message: string; readonly code?: string }
  /** `code` is the errno-style code (ECONNREFUSED, ECONNRESET, ENOTFOUND, a TLS code). */
  | { readonly kind: 'network'; readonly message: string; readonly code?: string; readonly error?: Error }
  /** `declared`: the Content-Length that was over the cap, when the body was never read; `coding`: what the counted bytes were decoded from. */
  | { readonly kind: 'too_large'; readonly message: string; readonly declared?: number; readonly coding?: string }
  | { readonly kind: 'undecodable'; readonly message: string; readonly coding: string }

/** What came back: everything, or as much as was seen before the failure. */
interface Seen {
  /** Request sent → settled, in ms (not rounded). */
  readonly latencyMs: number
}

export type ExchangeResult =
  | (Seen & { readonly ok: true; readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: Buffer })
  | (Seen & { readonly ok: false; readonly failure: ExchangeFailure; readonly status?: number; readonly headers?: IncomingHttpHeaders })

type Unsettled = ExchangeResult extends infer R ? (R extends unknown ? Omit<R, 'latencyMs'> : never) : never

/** Connect errors that mean "no answer in time" rather than "nothing there". */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT'])

/** A network error in words a user can act on, naming its code: the one place that explains them. */
export function explainNetwork(code: string | undefined, message: string): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name does not resolve (${code}): check the URL`
  if (code === 'ECONNREFUSED') return 'the connection was refused (ECONNREFUSED): nothing listens at that address and port'
  if (code === 'ECONNRESET' || code === 'EPIPE') return `the connection was reset (${code}) before an answer came`
  if (code !== undefined && TIMEOUT_CODES.has(code)) return `the connection timed out (${code})`
  if ((code !== undefined && /CERT|SSL|TLS/i.test(code)) || /certificate/i.test(message)) return `the TLS handshake failed (${code ?? message}): the certificate must be valid for the host`
  return code === undefined ? message : `${code}: ${message}`
}

/** The one reading of an error's code: Node's own (`error.code`), or a wrapped one (`error.cause.code`). */
export function errorCode(error: unknown): string | undefined {
  const err = error as { code?: unknown; cause?: { code?: unknown } } | null
  const code = err?.code ?? err?.cause?.code
  return typeof code === 'string' ? code : undefined
}

function networkFailure(error: unknown): ExchangeFailure {
  const code = errorCode(error)
  const message = explainNetwork(code, error instanceof Error ? error.message : String(error))
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { kind: 'timeout', message, code }
  return { kind: 'network', message, ...(code === undefined ? {} : { code }), ...(error instanceof Error ? { error } : {}) }
}

const DECODERS: Readonly<Record<string, () => Transform>> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress }
const ACCEPT_ENCODING = 'gzip, deflate, br'

/** The first value of a response header, as fetch's `headers.get` would give it. */
export function headerValue(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * One HTTP exchange with a single deadline over connect, headers and body, no redirects (a 3xx is
 * returned as it is), and a streaming size cap. Never throws: whatever the other side does (or
 * the URL or headers given) ends as a result or a typed failure within the budget.
 */
export function exchange(request: ExchangeRequest, options: ExchangeOptions): Promise<ExchangeResult> {
  const timer = options.timer ?? systemTimer
  const started = performance.now()
  const elapsed = () => performance.now() - started
  return new Promise((resolve) => {
    let settled = false
    let client: ClientRequest | undefined
    let response: IncomingMessage | undefined
    const settle = (result: Unsettled) => {
      if (settled) return
      settled = true
      timer.clearTimeout(handle)
      // Nothing more is read: the connection goes, so an endless body costs nothing further.
      response?.destroy()
      client?.destroy()
      resolve({ ...result, latencyMs: elapsed() } as ExchangeResult)
    }
    const seen = () => (response === undefined ? {} : { status: response.statusCode ?? 0, headers: response.headers })
    const fail = (failure: ExchangeFailure) => settle({ ok: false, failure, ...seen() })
    const handle = timer.setTimeout(() => fail({ kind: 'timeout', message: `no complete answer within ${options.timeoutMs} ms` }), options.timeoutMs)
    try {
      const url = typeof request.url === 'string' ? new URL(request.url) : request.url
      const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined
      if (send === undefined) return fail({ kind: 'network', code: 'ERR_INVALID_PROTOCOL', message: `${url.protocol} is not http: or https:` })
      const headers: Record<string, string> = { ...request.headers }
      if (options.decode && !Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) headers['accept-encoding'] = ACCEPT_ENCODING
      client = send(url, { method: request.method ?? 'GET', headers, ...(options.lookup ? { lookup: options.lookup } : {}) })
      client.on('error', (error) => fail(networkFailure(error)))
      client.on('response', (res) => {
        response = res
        void readBody(res, options).then((outcome) => (outcome.ok ? settle({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: outcome.body }) : fail(outcome.failure)))
      })
      client.end(request.body)
    } catch (error) {
      // A malformed URL or header value: the request never left.
      fail(networkFailure(error))
    }
  })
}

type BodyOutcome = { ok: true; body: Buffer } | { ok: false; failure: ExchangeFailure }

async function readBody(res: IncomingMessage, options: ExchangeOptions): Promise<BodyOutcome> {
  const prefix = options.prefixBytes?.(res.statusCode ?? 0)
  if (prefix === 0) return { ok: true, body: Buffer.alloc(0) }
  const limit = prefix ?? options.maxResponseBytes
  const declared = Number(res.headers['content-length'])
  if (prefix === undefined && Number.isFinite(declared) && declared > limit) {
    return { ok: false, failure: { kind: 'too_large', declared, message: `the response declares ${declared} bytes, over the ${limit}-byte limit` } }
  }
  const codings = options.decode ? (headerValue(res.headers, 'content-encoding') ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity') : []
  const decoders: Transform[] = []
  // The last coding applied is the first undone.
  for (const coding of codings.reverse()) {
    const decoder = DECODERS[coding]
    if (!decoder) return { ok: false, failure: { kind: 'undecodable', coding, message: `the answer's content-encoding ${JSON.stringify(coding)} is not one the help desk decodes (gzip, deflate, br)` } }
    decoders.push(decoder())
  }
  const source: Readable = decoders.length === 0 ? res : (pipeline([res, ...decoders], () => {}) as unknown as Transform)
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of source) {
      const bytes = chunk as Buffer
      if (size + bytes.length > limit) {
        if (prefix !== undefined) {
          chunks.push(bytes.subarray(0, limit - size))
          return { ok: true, body: Buffer.concat(chunks) }
        }
        const coding = decoders.length > 0 ? { coding: codings.join(', ') } : {}
        return { ok: false, failure: { kind: 'too_large', message: `the response passed the ${limit}-byte limit${coding.coding ? ` (decoded from ${coding.coding})` : ''}`, ...coding } }
      }
      size += bytes.length
      chunks.push(bytes)
    }
  } catch (error) {
    const code = errorCode(error)
    // zlib's errors are the body's fault, not the network's.
    if (code !== undefined && code.startsWith('Z_')) return { ok: false, failure: { kind: 'undecodable', coding: codings.join(', '), message: `the answer's ${codings.join(', ')} body cannot be decoded (${(error as Error).message})` } }
    return { ok: false, failure: networkFailure(error) }
  }
  return { ok: true, body: Buffer.concat(chunks) }
}
