import { CkitError } from '../errors.js'
import { parseJson, validate, type Issue, type RequestContext } from '../schema/index.js'
import { createSigner, type HeaderValue, type Secret, type Signer, type SignatureFailureReason } from './hmac.js'
import { HEADERS, PROXY_HINT, readHeader, type HeadersLike } from './headers.js'

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
    const detail = result.errors.map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ')
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
  const signer = typeof options.secret === 'object' && 'sign' in options.secret ? options.secret : createSigner(options.secret)
  const pathParameter = encodeContext(options.context)
  const signature = signer.sign(pathParameter)
  return { url: appendPathParameter(options.url, pathParameter), pathParameter, signature, headers: { [HEADERS.signature]: signature } }
}

export type RequestFailureReason = SignatureFailureReason | ContextFailureReason

export type ParseRequestResult =
  | { ok: true; context: RequestContext; pathParameter: string; isChallenge: boolean }
  | {
      ok: false
      reason: RequestFailureReason
      message: string
      /** The status an endpoint should answer with: 401 for signature problems, 400 for the context. */
      status: 400 | 401
      errors?: Issue[]
    }

/** The last non-empty segment of a request path (query and fragment ignored). */
export function pathParameterOf(path: string): string {
  const withoutQuery = path.split(/[?#]/, 1)[0] ?? ''
  const segments = withoutQuery.split('/').filter((s) => s !== '')
  return segments[segments.length - 1] ?? ''
}

export interface ParseRequestOptions {
  /** Request path or URL as received, e.g. `req.url`. */
  readonly path: string
  readonly headers?: HeadersLike
  /** The signing secret, or a signer built once with `createSigner`. Omit only to skip verification. */
  readonly secret?: Secret | Signer
}

/**
 * What an endpoint builder calls in their own server: verifies the signature over the path
 * parameter, then decodes and validates the context. Plain strings in, typed result out; never throws
 * for anything a client sends.
 */
export function parseSignedRequest(options: ParseRequestOptions): ParseRequestResult {
  const pathParameter = pathParameterOf(options.path)
  if (options.secret !== undefined) {
    const signer = typeof options.secret === 'object' && 'verify' in options.secret ? options.secret : createSigner(options.secret)
    const header: HeaderValue = readHeader(options.headers, HEADERS.signature)
    const verdict = signer.verify(pathParameter, header)
    if (!verdict.ok) {
      const message = verdict.reason === 'missing' ? `${HEADERS.signature} header is missing; ${PROXY_HINT}` : verdict.message
      return { ok: false, reason: verdict.reason, message, status: 401 }
    }
  }
  const decoded = decodeContext(pathParameter)
  if (!decoded.ok) return { ...decoded, status: 400 }
  return { ok: true, context: decoded.context, pathParameter, isChallenge: decoded.context.reason === 'challenge' }
}
