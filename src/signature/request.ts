import { CkitError } from '../errors.js'
import { describeAt, parseJson, validate, type Issue, type RequestContext } from '../schema/index.js'
import { asSigner, type HeaderValue, type Secret, type Signer, type SignatureFailureReason } from './hmac.js'
import { HEADERS, PROXY_HINT, readHeader, type HeadersLike } from './headers.js'
import { LruCache } from '../lru.js'

/**
 * 🔧 docs/protocol.md §Request: the path parameter is base64url(JSON of the request context),
 * without padding, appended as the last path segment of the configured URL; the signature
 * covers exactly that string.
 */
const BASE64URL = /^[A-Za-z0-9_-]*$/

export type ContextFailureReason = 'missing_context' | 'malformed_context' | 'invalid_context'

export type DecodeContextResult =
  | { ok: true; context: RequestContext }
  | { ok: false; reason: ContextFailureReason; message: string; errors?: Issue[] }

export function encodeContext(context: RequestContext): string {
  return Buffer.from(JSON.stringify(context), 'utf8').toString('base64url')
}

/** Decodes and validates a path parameter. Never throws. */
export function decodeContext(pathParameter: string): DecodeContextResult {
  if (pathParameter === '') return { ok: false, reason: 'missing_context', message: 'the request has no path parameter' }
  const unpadded = pathParameter.replace(/={1,2}$/, '')
  if (!BASE64URL.test(unpadded) || unpadded.length % 4 === 1) {
    return { ok: false, reason: 'malformed_context', message: 'path parameter is not base64url (A–Z, a–z, 0–9, "-", "_")' }
  }
  const parsed = parseJson(Buffer.from(unpadded, 'base64url'))
  if (!parsed.ok) return { ok: false, reason: 'malformed_context', message: `path parameter does not decode to JSON: ${parsed.error.message}` }
  const result = validate('request-context', parsed.value)
  if (!result.valid) {
    const [first] = result.errors
    return { ok: false, reason: 'invalid_context', message: `request context is invalid: ${first?.pointer || '/'}: ${first?.message ?? 'invalid'}`, errors: result.errors }
  }
  return { ok: true, context: result.value }
}

function assertContext(context: RequestContext): void {
  const result = validate('request-context', context)
  if (!result.valid) {
    const detail = describeAt(result.errors)
    throw new CkitError('CKIT_SIG_INVALID_CONTEXT', `request context is invalid: ${detail}`)
  }
}

function parseBaseUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CkitError('CKIT_SIG_INVALID_URL', `connection URL ${JSON.stringify(url)} is not an absolute URL`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new CkitError('CKIT_SIG_INVALID_URL', `connection URL must use http: or https:, instead got ${parsed.protocol}`)
  }
  return parsed
}

export interface SignedRequest {
  /** The full URL to GET: the configured URL with the path parameter appended to its path. */
  readonly url: string
  readonly pathParameter: string
  readonly signature: string
  readonly headers: Readonly<Record<string, string>>
}

/** Appends a path segment, keeping the configured URL's query string where it was. */
export function appendPathParameter(baseUrl: string, pathParameter: string): string {
  const url = parseBaseUrl(baseUrl)
  url.pathname = url.pathname.endsWith('/') ? url.pathname + pathParameter : `${url.pathname}/${pathParameter}`
  return url.toString()
}

/** What the help desk sends: a GET to `url` with the signature header. Throws on bad input. */
export function buildSignedRequest(options: { url: string; secret: Secret | Signer; context: RequestContext }): SignedRequest {
  assertContext(options.context)
  const signer = asSigner(options.secret)
  const pathParameter = encodeContext(options.context)
  const signature = signer.sign(pathParameter)
  return { url: appendPathParameter(options.url, pathParameter), pathParameter, signature, headers: { [HEADERS.signature]: signature } }
}

export type RequestFailureReason = SignatureFailureReason | ContextFailureReason | 'stale'

export type ParseRequestResult =
  | { ok: true; context: RequestContext; pathParameter: string; isChallenge: boolean }
  | {
      ok: false
      reason: RequestFailureReason
      message: string
      /** The status an endpoint should answer with: 401 for signature and freshness problems, 400 for the context. */
      status: 400 | 401
      errors?: Issue[]
    }

/** The last non-empty segment of a request path (query and fragment ignored). */
export function pathParameterOf(path: string): string {
  const text = String(path)
  // indexOf, not split and filter: those allocated three arrays on every request.
  const query = text.indexOf('?')
  const fragment = text.indexOf('#')
  let end = query === -1 ? (fragment === -1 ? text.length : fragment) : fragment === -1 ? query : Math.min(query, fragment)
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f /* / */) end--
  return text.slice(text.lastIndexOf('/', end - 1) + 1, end)
}

/**
 * 🔧 docs/protocol.md §Decided since, freshness: `requested_at` is inside the signed path
 * parameter, so a captured request can be replayed only within this window. Clock skew in either
 * direction counts against the same tolerance.
 */
export const REQUEST_DEFAULTS = Object.freeze({
  toleranceSeconds: 300, // 5 minutes
})

export interface ParseRequestOptions {
  /** Request path or URL as received, e.g. `req.url`. */
  readonly path: string
  readonly headers?: HeadersLike
  /**
   * The signing secret, or a signer built once with `createSigner`. Required: an absent or empty
   * secret throws `CKIT_SIG_MISSING_SECRET` rather than accepting unsigned requests.
   */
  readonly secret?: Secret | Signer | undefined
  /**
   * Accept requests without checking their signature. Only for local tests and mocks that run
   * unsigned on purpose; named loudly so it is never the result of a missing value.
   */
  readonly dangerouslySkipSignatureCheck?: boolean
  /** Reject contexts whose `requested_at` is further than this from now, either way (default 300). `Infinity` turns it off. */
  readonly toleranceSeconds?: number
  /** Current time in ms (for tests). */
  readonly now?: () => number
}

/** Checks a tolerance option at the door: a number of seconds, 0 or more (Infinity allowed). */
export function assertToleranceSeconds(value: unknown, option = 'toleranceSeconds'): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new CkitError('CKIT_SIG_INVALID_OPTION', `${option} must be a number of seconds, 0 or more (Infinity turns the check off), instead got ${JSON.stringify(value) ?? String(value)}`)
  }
  return value
}

/** Why a `requested_at` is outside the window, or undefined when it is fresh. */
export function stalenessOf(requestedAt: string, nowMs: number, toleranceSeconds: number): string | undefined {
  return stalenessAt(Date.parse(requestedAt), requestedAt, nowMs, toleranceSeconds)
}

/** The same, with `requested_at` already parsed (`at`): a cached context is parsed once, checked on every request. */
function stalenessAt(at: number, requestedAt: string, nowMs: number, toleranceSeconds: number): string | undefined {
  if (toleranceSeconds === Infinity) return undefined
  if (Number.isNaN(at)) return `requested_at ${JSON.stringify(requestedAt)} is not a date`
  const skewSeconds = (nowMs - at) / 1000
  if (Math.abs(skewSeconds) <= toleranceSeconds) return undefined
  const distance = Math.round(Math.abs(skewSeconds))
  return `requested_at is ${distance} s ${skewSeconds > 0 ? 'in the past' : 'in the future'} (tolerance ${toleranceSeconds} s): a replayed request, or a clock that is off`
}

/**
 * What an endpoint builder calls in their own server: verifies the signature over the path
 * parameter, decodes and validates the context, and checks it is fresh. Plain strings in, typed
 * result out; never throws for anything a client sends. Throws `CKIT_SIG_MISSING_SECRET` when
 * called without a secret (and without `dangerouslySkipSignatureCheck`). A server that parses many
 * requests should build a parser once with `createRequestParser`.
 */
export function parseSignedRequest(options: ParseRequestOptions): ParseRequestResult {
  return parseWith(resolveParser(options), undefined, options.path, options.headers)
}

export interface RequestParserOptions extends Omit<ParseRequestOptions, 'path' | 'headers'> {
  /**
   * Verified path parameters whose decoded context is kept (default 1,000; 0 keeps none). The
   * signature and `requested_at` are still checked on every request; only the decoding and schema
   * validation of a path parameter already seen are skipped. Contexts are frozen, since
   * identical requests share one.
   */
  readonly cacheEntries?: number
}

export type RequestParser = (path: string, headers?: HeadersLike) => ParseRequestResult

/** 🔧 The decoded-context cache also stops at this many characters of path parameters (~1 MiB). */
const CONTEXT_CACHE_CHARS = 1024 * 1024

/**
 * `parseSignedRequest` compiled once: options are checked and the secret prepared here, so each
 * request only does its own work. Like ajv's compile-once/run-many; the mock uses one per server.
 */
export function createRequestParser(options: RequestParserOptions): RequestParser {
  const resolved = resolveParser(options)
  const entries = options.cacheEntries ?? 1000
  if (!Number.isInteger(entries) || entries < 0) throw new CkitError('CKIT_SIG_INVALID_OPTION', `cacheEntries must be a whole number, 0 or more, instead got ${JSON.stringify(entries) ?? String(entries)}`)
  const contexts = entries > 0 ? new LruCache<string, Decoded>(entries, CONTEXT_CACHE_CHARS) : undefined
  return (path, headers) => parseWith(resolved, contexts, path, headers)
}

interface ResolvedParser {
  readonly signer: Signer | undefined
  readonly toleranceSeconds: number
  readonly now: () => number
}

function resolveParser(options: Omit<ParseRequestOptions, 'path' | 'headers'>): ResolvedParser {
  const toleranceSeconds = assertToleranceSeconds(options.toleranceSeconds ?? REQUEST_DEFAULTS.toleranceSeconds)
  // Resolved before looking at any request: misuse fails the same way for every request.
  const signer = options.dangerouslySkipSignatureCheck === true ? undefined : asSigner(options.secret as Secret | Signer)
  return { signer, toleranceSeconds, now: options.now ?? Date.now }
}

/** A verified context as the cache keeps it, with its `requested_at` parsed. */
interface Decoded {
  readonly context: RequestContext
  readonly at: number
}

function parseWith({ signer, toleranceSeconds, now }: ResolvedParser, contexts: LruCache<string, Decoded> | undefined, path: string, headers: HeadersLike | undefined): ParseRequestResult {
  const pathParameter = pathParameterOf(path)
  if (signer) {
    const header: HeaderValue = readHeader(headers, HEADERS.signature)
    const verdict = signer.verify(pathParameter, header)
    if (!verdict.ok) {
      const message = verdict.reason === 'missing' ? `${HEADERS.signature} header is missing; ${PROXY_HINT}` : verdict.message
      return { ok: false, reason: verdict.reason, message, status: 401 }
    }
  }
  let decoded = contexts?.get(pathParameter)
  if (decoded === undefined) {
    const result = decodeContext(pathParameter)
    if (!result.ok) return { ...result, status: 400 }
    decoded = { context: result.context, at: Date.parse(result.context.requested_at) }
    // Only verified contexts are kept (unless checking is off), so a stranger cannot fill the cache.
    if (contexts) {
      deepFreeze(decoded.context)
      contexts.set(pathParameter, decoded, pathParameter.length)
    }
  }
  const { context } = decoded
  const stale = stalenessAt(decoded.at, context.requested_at, now(), toleranceSeconds)
  if (stale !== undefined) return { ok: false, reason: 'stale', message: stale, status: 401 }
  return { ok: true, context, pathParameter, isChallenge: context.reason === 'challenge' }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
