import { createHmac, timingSafeEqual } from 'node:crypto'
import { CkitError } from '../errors.js'

/** 🔧 docs/protocol.md §Request: the header value is `sha256=` + lowercase hex HMAC-SHA256. */
export const SIGNATURE_PREFIX = 'sha256='
const DIGEST_BYTES = 32

export type SignatureFailureReason = 'missing' | 'malformed' | 'mismatch'
export type VerifyResult = { ok: true } | { ok: false; reason: SignatureFailureReason; message: string }

export type Secret = string | Uint8Array
export type SignedMessage = string | Uint8Array
/** A header as HTTP libraries hand it over: one value, repeated values, or absent. */
export type HeaderValue = string | readonly string[] | null | undefined

/** Holds the key once so the hot path never re-encodes the secret (see docs/style: hot paths). */
export interface Signer {
  sign(message: SignedMessage): string
  verify(message: SignedMessage, header: HeaderValue): VerifyResult
}

/**
 * An absent or empty secret is its own error: `process.env.YETTO_SECRET!` is `undefined` when the
 * variable is unset, and a check that quietly passed then would accept forged requests.
 */
const MISSING_SECRET_HINT = 'is the environment variable that holds it set?'

// A Buffer key, not a KeyObject: createHmac imports a KeyObject again on every call, which made
// each HMAC ~1.2 µs (a third) slower here.
function toKey(secret: Secret): Buffer {
  if (secret === undefined || secret === null) {
    throw new CkitError('CKIT_SIG_MISSING_SECRET', `no signing secret was given (${String(secret)}); ${MISSING_SECRET_HINT}`)
  }
  if (typeof secret === 'string') {
    if (secret.length === 0) throw new CkitError('CKIT_SIG_MISSING_SECRET', `the signing secret is an empty string; ${MISSING_SECRET_HINT}`)
    return Buffer.from(secret, 'utf8')
  }
  if (secret instanceof Uint8Array) {
    if (secret.byteLength === 0) throw new CkitError('CKIT_SIG_MISSING_SECRET', 'the signing secret has no bytes')
    return Buffer.from(secret)
  }
  throw new CkitError('CKIT_SIG_INVALID_OPTION', `signing secret must be a string or bytes, instead got ${typeof secret}`)
}

function digest(key: Buffer, message: SignedMessage): Buffer {
  if (typeof message !== 'string' && !(message instanceof Uint8Array)) {
    throw new CkitError('CKIT_SIG_INVALID_OPTION', `message to sign must be a string or bytes, instead got ${typeof message}`)
  }
  return createHmac('sha256', key).update(message).digest()
}

const MISSING: VerifyResult = { ok: false, reason: 'missing', message: 'signature header is missing' }

const MALFORMED: VerifyResult = { ok: false, reason: 'malformed', message: `signature header must be "${SIGNATURE_PREFIX}" followed by 64 hex digits` }
const MISMATCH: VerifyResult = { ok: false, reason: 'mismatch', message: 'signature does not match (wrong secret, or the signed string was changed)' }
const SHAPED_LENGTH = SIGNATURE_PREFIX.length + 2 * DIGEST_BYTES

/** Only 0-9, a-f and A-F (ASCII) from `from` to the end. */
function isHexDigits(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const lower = c | 0x20
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66))) return false
  }
  return true
}

function verifyWith(key: Buffer, given: Buffer, message: SignedMessage, header: HeaderValue): VerifyResult {
  if (header === undefined || header === null) return MISSING
  let value: string
  if (typeof header === 'string') {
    value = header
  } else if (header.length === 1) {
    value = header[0]!
  } else if (header.length === 0) {
    return MISSING
  } else {
    return { ok: false, reason: 'malformed', message: `signature header was sent ${header.length} times; expected once` }
  }
  if (typeof value !== 'string') return MALFORMED
  value = value.trim()
  if (value === '') return MISSING
  // `sha256=` and 64 hex digits, in either case (a receiver should not reject a digest some tool
  // upper-cased), checked without a regex or a Buffer per request. The digits are checked by
  // hand first: Buffer's hex decoding reads only each character's low byte, so it took 'İ' for '0'.
  if (value.length !== SHAPED_LENGTH || !value.startsWith(SIGNATURE_PREFIX) || !isHexDigits(value, SIGNATURE_PREFIX.length)) return MALFORMED
  given.write(value.slice(SIGNATURE_PREFIX.length), 'hex')
  const expected = digest(key, message)
  // Both are exactly DIGEST_BYTES long here, so timingSafeEqual cannot throw and leaks nothing.
  if (!timingSafeEqual(given, expected)) return MISMATCH
  return { ok: true }
}

const isSigner = (value: unknown): value is Signer =>
  typeof value === 'object' && value !== null && typeof (value as Signer).sign === 'function' && typeof (value as Signer).verify === 'function'

/** A signer as given, or one built from a secret; an absent secret throws CKIT_SIG_MISSING_SECRET. */
export function asSigner(secret: Secret | Signer): Signer {
  return isSigner(secret) ? secret : createSigner(secret)
}

export function createSigner(secret: Secret): Signer {
  const key = toKey(secret)
  // Where each verification decodes the digest it was given: JavaScript runs one at a time.
  const given = Buffer.alloc(DIGEST_BYTES)
  return {
    sign: (message) => SIGNATURE_PREFIX + digest(key, message).toString('hex'),
    verify: (message, header) => verifyWith(key, given, message, header),
  }
}

/** `sha256=<lowercase hex HMAC-SHA256 of message keyed with secret>`. */
export function sign(secret: Secret, message: SignedMessage): string {
  return createSigner(secret).sign(message)
}

/** Checks a signature header in constant time; says why it failed. */
export function verify(secret: Secret, message: SignedMessage, header: HeaderValue): VerifyResult {
  return verifyWith(toKey(secret), Buffer.alloc(DIGEST_BYTES), message, header)
}
