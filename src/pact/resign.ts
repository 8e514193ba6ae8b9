import { randomBytes } from 'node:crypto'
import { buildSignedRequest, decodeContext, HEADERS, pathParameterOf, readHeader, verify } from '../signature/index.js'
import { CONTRACT } from './contract.js'

/** How the contract signed a recorded request, which decides how it is re-signed. */
export type RecordedSignature = 'valid' | 'unsigned' | 'mis-signed'

export interface ResignOptions {
  /** The provider's secret: requests the contract signed correctly are re-signed with it. */
  readonly secret: string
  /** Mis-signed requests are signed with this key, which must not be the provider's. */
  readonly foreignSecret: string
  /** The provider's base path: the path parameter is appended to it. */
  readonly basePath: string
  readonly nowMs?: number
  /** Replaces a set-up challenge's value: the help desk sends a new random one each time. */
  readonly challenge?: string
}

export interface ResignedRequest {
  readonly url: string
  /** The header to send; undefined means send none. */
  readonly signature: string | undefined
  readonly recorded: RecordedSignature
  /** For a set-up challenge: the value sent in its place, and the contract's recorded one. */
  readonly challenge?: { readonly sent: string; readonly recorded: string }
}

/** A random challenge shaped like the recorded one (32 hex digits). */
export const freshChallenge = (): string => randomBytes(16).toString('hex')

/** A key that is certainly not the provider's, for the mis-signed interactions. */
/** The recorded signature header, one string (a repeated header joined, as HTTP does). */
export function recordedSignatureOf(headers: Record<string, unknown>): string | undefined {
  const value = readHeader(headers as Record<string, string>, HEADERS.signature)
  if (value === null || value === undefined) return undefined
  return typeof value === 'string' ? value : value.join(', ')
}

export function foreignSecretFor(secret: string): string {
  let key = randomBytes(32).toString('hex')
  while (key === secret) key = randomBytes(32).toString('hex')
  return key
}

/**
 * Makes a recorded request valid *now* for this provider, keeping what the interaction tests.
 * Every context gets a fresh `requested_at`, so a 401 interaction can only pass through a
 * signature check, never through a freshness check (shared protocol, "Decided since"):
 * - signed correctly by the contract's public secret → signed with the provider's secret;
 * - unsigned → stays unsigned;
 * - mis-signed → signed with a key that is not the provider's.
 * A path parameter that is not a context is moved as is, with the recorded header.
 */
export function resignRequest(url: string, headers: Record<string, unknown>, options: ResignOptions): ResignedRequest {
  if (options.foreignSecret === options.secret) throw new Error('the foreign key must differ from the provider secret')
  const parameter = pathParameterOf(url)
  const base = options.basePath.replace(/\/+$/, '')
  const header = recordedSignatureOf(headers)
  const recorded: RecordedSignature = header === undefined ? 'unsigned' : verify(CONTRACT.secret, parameter, header).ok ? 'valid' : 'mis-signed'
  const decoded = decodeContext(parameter)
  if (!decoded.ok) return { url: `${base}/${parameter}`, signature: header, recorded }
  const context = { ...decoded.context, requested_at: new Date(options.nowMs ?? Date.now()).toISOString() }
  // An endpoint that answers the contract's recorded challenge without reading it would pass the
  // contract: the value sent is new each time, and the proxy checks the echo (proxy.ts).
  const challenge = context.reason === 'challenge' && typeof context.challenge === 'string' && options.challenge !== undefined ? { sent: options.challenge, recorded: context.challenge } : undefined
  if (challenge) context.challenge = challenge.sent
  const key = recorded === 'valid' ? options.secret : options.foreignSecret
  const request = buildSignedRequest({ url: `http://provider${base}`, secret: key, context })
  return { url: new URL(request.url).pathname, signature: recorded === 'unsigned' ? undefined : request.signature, recorded, ...(challenge ? { challenge } : {}) }
}
