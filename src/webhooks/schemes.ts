import { createHmac, timingSafeEqual } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { CkitError } from '../errors.js'
import { HEADERS, readFirstHeader, readHeader, signWebhook, verify, type HeadersLike, type SignatureFailureReason } from '../signature/index.js'

/**
 * How a delivery is signed. `yetto` is the help desk's own (docs/protocol.md: only the body is
 * signed); `standard` is Standard Webhooks (id and timestamp signed too, via the `standardwebhooks`
 * package); `github` is X-Hub-Signature-256, so the tools serve receivers of other services too.
 */
export const SCHEME_NAMES = ['yetto', 'standard', 'github'] as const
export type SchemeName = (typeof SCHEME_NAMES)[number]

/** One delivery as it leaves the sender: the same id and body on every attempt. */
export interface OutgoingDelivery {
  readonly id: string
  readonly event: string
  readonly body: string
  /** Unix seconds of this attempt. */
  readonly timestamp: number
}

export type SchemeVerdict =
  | { ok: true; id: string | undefined; event: string | undefined; timestamp: number | undefined }
  | { ok: false; reason: SignatureFailureReason | 'stale'; message: string }

export interface Scheme {
  readonly name: SchemeName
  /** Whether the delivery id and timestamp are covered by the signature (a replay guard can trust them). */
  readonly signsIdAndTimestamp: boolean
  /** The header names a receiver must see, for proxies and error messages. */
  readonly signatureHeader: string
  /** Throws `CKIT_WEBHOOKS_INVALID_OPTION` when the secret cannot be a key of this scheme, so a sender or receiver fails at start, not per delivery. */
  checkSecret(secret: string): void
  /** A valid secret of this scheme that is not `secret`: what a receiver configured with `secret` must refuse. */
  otherSecret(secret: string): string
  headers(secret: string, delivery: OutgoingDelivery): Record<string, string>
  verify(secret: string, body: string | Uint8Array, headers: HeadersLike | undefined, options: { toleranceSeconds: number; nowMs: number }): SchemeVerdict
}


const yetto: Scheme = {
  name: 'yetto',
  signsIdAndTimestamp: false,
  signatureHeader: HEADERS.signature,
  checkSecret: () => undefined,
  otherSecret: (secret) => `${secret}-not`,
  headers: (secret, delivery) => ({ ...signWebhook({ secret, payload: delivery.body, event: delivery.event, deliveryId: delivery.id, timestamp: delivery.timestamp }).headers }),
  verify(secret, body, headers) {
    const verdict = verify(secret, body, readHeader(headers, HEADERS.signature))
    if (!verdict.ok) return verdict
    const timestamp = readFirstHeader(headers, HEADERS.timestamp)
    return { ok: true, id: readFirstHeader(headers, HEADERS.delivery), event: readFirstHeader(headers, HEADERS.event), timestamp: timestamp && /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : undefined }
  },
}

const STANDARD_PREFIX = 'whsec_'
let lastStandardKey: { secret: string; webhook: Webhook } | undefined

/**
 * The key as the reference libraries read it: an optional `whsec_` prefix, then base64 (the spec's
 * example secret verifies with and without its prefix). A secret that is not base64 is a
 * configuration error, reported without echoing the secret. The last key is kept: a receiver or
 * sender uses one secret for every delivery.
 */
function standardWebhook(secret: string): Webhook {
  if (lastStandardKey?.secret === secret) return lastStandardKey.webhook
  let webhook: Webhook
  try {
    webhook = new Webhook(secret)
  } catch (error) {
    throw new CkitError(
      'CKIT_WEBHOOKS_INVALID_OPTION',
      `a Standard Webhooks secret is base64, optionally prefixed "${STANDARD_PREFIX}" (as the standardwebhooks libraries read it); the one given is not (${(error as Error).message})`,
      { cause: error },
    )
  }
  lastStandardKey = { secret, webhook }
  return webhook
}

const standard: Scheme = {
  name: 'standard',
  signsIdAndTimestamp: true,
  signatureHeader: 'webhook-signature',
  checkSecret: (secret) => void standardWebhook(secret),
  otherSecret(secret) {
    standardWebhook(secret)
    // Valid base64 by now, which Node decodes to the same bytes as the library.
    const key = Buffer.from(secret.startsWith(STANDARD_PREFIX) ? secret.slice(STANDARD_PREFIX.length) : secret, 'base64')
    key[0] = key[0]! ^ 0xff
    return STANDARD_PREFIX + key.toString('base64')
  },
  headers: (secret, delivery) => ({
    'content-type': 'application/json',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(delivery.timestamp),
    'webhook-signature': standardWebhook(secret).sign(delivery.id, new Date(delivery.timestamp * 1000), delivery.body),
    // Not part of the scheme; receivers of our events read the name here.
    [HEADERS.event]: delivery.event,
  }),
  verify(secret, body, headers, options) {
    const id = readFirstHeader(headers, 'webhook-id')
    const timestamp = readFirstHeader(headers, 'webhook-timestamp')
    const signature = readFirstHeader(headers, 'webhook-signature')
    if (!id || !timestamp || !signature) return { ok: false, reason: 'missing', message: 'webhook-id, webhook-timestamp and webhook-signature headers are required' }
    if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'malformed', message: 'webhook-timestamp must be Unix seconds' }
    // The library checks a fixed 5-minute window against the real clock; ours is configurable and
    // injectable, but compared as the spec and the library do: in whole seconds, so a delivery
    // exactly 300 s old is still accepted.
    const age = Math.floor(options.nowMs / 1000) - Number(timestamp)
    if (Math.abs(age) > options.toleranceSeconds) {
      return { ok: false, reason: 'stale', message: `webhook-timestamp is ${age} s away from now (tolerance ${options.toleranceSeconds} s)` }
    }
    const verdict = verifyStandard(secret, body, id, timestamp, signature)
    return verdict.ok ? { ...verdict, event: readFirstHeader(headers, HEADERS.event) } : verdict
  },
}

/**
 * Standard Webhooks verification with the timestamp already checked against our tolerance (the
 * package's own verify() fixes 5 minutes and the real clock): the package computes the expected
 * signature, and one of the space-separated v1 signatures must equal it as text, in constant time
 * — as the library compares, so a signature it refuses (padding dropped, stray characters that a
 * lenient base64 decoder would skip) is refused here too.
 */
function verifyStandard(secret: string, body: string | Uint8Array, id: string, timestamp: string, signature: string): SchemeVerdict {
  const expected = Buffer.from(standardWebhook(secret).sign(id, new Date(Number(timestamp) * 1000), Buffer.from(body)).slice(3))
  for (const candidate of signature.split(' ')) {
    const [version, value] = candidate.split(',', 2)
    if (version !== 'v1' || !value) continue
    const given = Buffer.from(value)
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, event: undefined, timestamp: Number(timestamp) }
  }
  return { ok: false, reason: 'mismatch', message: 'no webhook-signature matches (wrong secret, or the id, timestamp or body was changed)' }
}


const GITHUB_SIGNATURE = 'X-Hub-Signature-256'
// GitHub's libraries (@octokit/webhooks-methods) compare the header as text with their own
// lower-case hex, so an upper-case digest is refused there; a receiver we probe or stand in for
// must give the same verdict.
const GITHUB_SHAPE = /^sha256=[0-9a-f]{64}$/

const github: Scheme = {
  name: 'github',
  signsIdAndTimestamp: false,
  signatureHeader: GITHUB_SIGNATURE,
  checkSecret: () => undefined,
  otherSecret: (secret) => `${secret}-not`,
  headers: (secret, delivery) => ({
    'content-type': 'application/json',
    [GITHUB_SIGNATURE]: `sha256=${createHmac('sha256', secret).update(delivery.body).digest('hex')}`,
    'X-GitHub-Event': delivery.event,
    'X-GitHub-Delivery': delivery.id,
  }),
  verify(secret, body, headers) {
    const header = readHeader(headers, GITHUB_SIGNATURE)
    const value = typeof header === 'string' ? header : header?.length === 1 ? header[0] : header
    if (typeof value === 'string' && value !== '' && !GITHUB_SHAPE.test(value)) {
      return { ok: false, reason: 'malformed', message: `${GITHUB_SIGNATURE} must be "sha256=" followed by 64 lower-case hex digits, as GitHub sends and its libraries require` }
    }
    const verdict = verify(secret, body, header)
    if (!verdict.ok) return verdict
    return { ok: true, id: readFirstHeader(headers, 'X-GitHub-Delivery'), event: readFirstHeader(headers, 'X-GitHub-Event'), timestamp: undefined }
  },
}

export const SCHEMES: Readonly<Record<SchemeName, Scheme>> = Object.freeze({ yetto, standard, github })

export function schemeOf(name: unknown): Scheme {
  if (typeof name !== 'string' || !Object.hasOwn(SCHEMES, name)) {
    throw new CkitError('CKIT_WEBHOOKS_INVALID_OPTION', `webhook scheme must be one of ${SCHEME_NAMES.join(', ')}, instead got ${JSON.stringify(name) ?? String(name)}`)
  }
  return SCHEMES[name as SchemeName]
}
