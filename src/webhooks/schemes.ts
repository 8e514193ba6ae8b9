import { createHmac, timingSafeEqual } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { CkitError } from '../errors.js'
import { SCHEME_NAMES, type SchemeName } from './defaults.js'
import { createSigner, HEADERS, readFirstHeader, readHeader, signWebhook, type HeadersLike } from '../signature/index.js'
import { checkYettoWebhook, type WebhookVerdict } from '../signature/webhook.js'

export { SCHEME_NAMES, type SchemeName } from './defaults.js'

/** One delivery as it leaves the sender: the same id and body on every attempt. */
export interface OutgoingDelivery {
  readonly id: string
  readonly event: string
  readonly body: string
  /** Unix seconds of this attempt. */
  readonly timestamp: number
}

export type SchemeVerdict = WebhookVerdict

export interface VerifyOptions {
  /** Refuse a timestamp further than this from now; `Infinity` turns the check off (schemes without a timestamp never check). */
  readonly toleranceSeconds: number
  readonly nowMs: number
}

/** A scheme's key, prepared once: a sender or receiver holds one for all its deliveries. */
export interface SchemeKey {
  headers(delivery: OutgoingDelivery): Record<string, string>
  verify(body: string | Uint8Array, headers: HeadersLike | undefined, options: VerifyOptions): SchemeVerdict
}

interface SchemeDefinition {
  readonly name: SchemeName
  /** Whether the delivery id and timestamp are covered by the signature (a replay guard can trust them). */
  readonly signsIdAndTimestamp: boolean
  /** The header names a receiver must see, for proxies and error messages. */
  readonly signatureHeader: string
  /** Where the event name and delivery id travel, read for logs before (or without) verification. */
  readonly eventHeader: string
  readonly idHeader: string
  /** Where the attempt's time travels, if anywhere. */
  readonly timestampHeader: string | undefined
  /** A valid secret of this scheme that is not `secret`: what a receiver configured with `secret` must refuse. */
  otherSecret(secret: string): string
  /**
   * The signature header's value under raw key bytes, which `prepare` would refuse when empty: a
   * receiver whose rotation list holds an unset secret accepts what anyone signs with the key "",
   * so the probe forges with it.
   */
  signWithKey(key: Uint8Array, delivery: OutgoingDelivery): string
  /** Throws `CKIT_WEBHOOKS_INVALID_OPTION` (or `CKIT_SIG_MISSING_SECRET`) when the secret cannot be a key of this scheme, so a sender or receiver fails at start, not per delivery. */
  prepare(secret: string): SchemeKey
}

export interface Scheme extends SchemeDefinition {
  /** `prepare(secret)` for its error only. */
  checkSecret(secret: string): void
  /** One-off forms of `prepare(secret).headers` and `.verify`, for a single delivery. */
  headers(secret: string, delivery: OutgoingDelivery): Record<string, string>
  verify(secret: string, body: string | Uint8Array, headers: HeadersLike | undefined, options: VerifyOptions): SchemeVerdict
}

const scheme = (definition: SchemeDefinition): Scheme => ({
  ...definition,
  checkSecret: (secret) => void definition.prepare(secret),
  headers: (secret, delivery) => definition.prepare(secret).headers(delivery),
  verify: (secret, body, headers, options) => definition.prepare(secret).verify(body, headers, options),
})

// Yetto's and GitHub's signature: sha256=<lower-case hex HMAC-SHA256 of the body>.
const hexHmacOfBody = (key: Uint8Array, delivery: OutgoingDelivery) => `sha256=${createHmac('sha256', key).update(delivery.body).digest('hex')}`

const yetto = scheme({
  name: 'yetto',
  signsIdAndTimestamp: false,
  signatureHeader: HEADERS.signature,
  eventHeader: HEADERS.event,
  idHeader: HEADERS.delivery,
  timestampHeader: HEADERS.timestamp,
  otherSecret: (secret) => `${secret}-not`,
  signWithKey: hexHmacOfBody,
  prepare(secret) {
    const signer = createSigner(secret)
    return {
      headers: (delivery) => ({ ...signWebhook({ secret: signer, payload: delivery.body, event: delivery.event, deliveryId: delivery.id, timestamp: delivery.timestamp }).headers }),
      verify: (body, headers, options) => checkYettoWebhook(signer, body, headers, options.toleranceSeconds, options.nowMs),
    }
  },
})

const STANDARD_PREFIX = 'whsec_'
/** Standard Webhooks' header names (the spec's, lower case). */
const STANDARD_HEADERS = Object.freeze({ id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' })

/**
 * The key as the reference libraries read it: an optional `whsec_` prefix, then base64 (the spec's
 * example secret verifies with and without its prefix). A secret that is not base64 is a
 * configuration error, reported without echoing the secret.
 */
function standardWebhook(secret: string): Webhook {
  try {
    return new Webhook(secret)
  } catch (error) {
    throw new CkitError(
      'CKIT_WEBHOOKS_INVALID_OPTION',
      `a Standard Webhooks secret is base64, optionally prefixed "${STANDARD_PREFIX}" (as the standardwebhooks libraries read it); the one given is not (${(error as Error).message})`,
      { cause: error },
    )
  }
}

const standard = scheme({
  name: 'standard',
  signsIdAndTimestamp: true,
  signatureHeader: STANDARD_HEADERS.signature,
  // Not part of the scheme; receivers of our events read the name here.
  eventHeader: HEADERS.event,
  idHeader: STANDARD_HEADERS.id,
  timestampHeader: STANDARD_HEADERS.timestamp,
  otherSecret(secret) {
    standardWebhook(secret)
    // Valid base64 by now, which Node decodes to the same bytes as the library.
    const key = Buffer.from(secret.startsWith(STANDARD_PREFIX) ? secret.slice(STANDARD_PREFIX.length) : secret, 'base64')
    key[0] = key[0]! ^ 0xff
    return STANDARD_PREFIX + key.toString('base64')
  },
  // The spec's signed content: id.timestamp.body.
  signWithKey: (key, delivery) => `v1,${createHmac('sha256', key).update(`${delivery.id}.${delivery.timestamp}.${delivery.body}`).digest('base64')}`,
  prepare(secret) {
    const webhook = standardWebhook(secret)
    return {
      headers: (delivery) => ({
        'content-type': 'application/json',
        [STANDARD_HEADERS.id]: delivery.id,
        [STANDARD_HEADERS.timestamp]: String(delivery.timestamp),
        [STANDARD_HEADERS.signature]: webhook.sign(delivery.id, new Date(delivery.timestamp * 1000), delivery.body),
        [HEADERS.event]: delivery.event,
      }),
      verify(body, headers, options) {
        const id = readFirstHeader(headers, STANDARD_HEADERS.id)
        const timestamp = readFirstHeader(headers, STANDARD_HEADERS.timestamp)
        const signature = readFirstHeader(headers, STANDARD_HEADERS.signature)
        if (!id || !timestamp || !signature) return { ok: false, reason: 'missing', message: `${STANDARD_HEADERS.id}, ${STANDARD_HEADERS.timestamp} and ${STANDARD_HEADERS.signature} headers are required` }
        if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'malformed', message: `${STANDARD_HEADERS.timestamp} must be Unix seconds` }
        // The library checks a fixed 5-minute window against the real clock; ours is configurable and
        // injectable, but compared as the spec and the library do: in whole seconds, so a delivery
        // exactly 300 s old is still accepted.
        const age = Math.floor(options.nowMs / 1000) - Number(timestamp)
        if (Math.abs(age) > options.toleranceSeconds) {
          return { ok: false, reason: 'stale', message: `${STANDARD_HEADERS.timestamp} is ${age} s away from now (tolerance ${options.toleranceSeconds} s)` }
        }
        const verdict = verifyStandard(webhook, body, id, timestamp, signature)
        return verdict.ok ? { ...verdict, event: readFirstHeader(headers, HEADERS.event) } : verdict
      },
    }
  },
})

/**
 * Standard Webhooks verification with the timestamp already checked against our tolerance (the
 * package's own verify() fixes 5 minutes and the real clock): the package computes the expected
 * signature, and one of the space-separated v1 signatures must equal it as text, in constant time
 * — as the library compares, so a signature it refuses (padding dropped, stray characters that a
 * lenient base64 decoder would skip) is refused here too.
 */
function verifyStandard(webhook: Webhook, body: string | Uint8Array, id: string, timestamp: string, signature: string): SchemeVerdict {
  const expected = Buffer.from(webhook.sign(id, new Date(Number(timestamp) * 1000), Buffer.from(body)).slice(3))
  for (const candidate of signature.split(' ')) {
    const [version, value] = candidate.split(',', 2)
    if (version !== 'v1' || !value) continue
    const given = Buffer.from(value)
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, event: undefined, timestamp: Number(timestamp) }
  }
  return { ok: false, reason: 'mismatch', message: `no ${STANDARD_HEADERS.signature} matches (wrong secret, or the id, timestamp or body was changed)` }
}

/** GitHub's header names, as GitHub writes them. */
const GITHUB_HEADERS = Object.freeze({ signature: 'X-Hub-Signature-256', event: 'X-GitHub-Event', delivery: 'X-GitHub-Delivery' })
// GitHub's libraries (@octokit/webhooks-methods) compare the header as text with their own
// lower-case hex, so an upper-case digest is refused there; a receiver we probe or stand in for
// must give the same verdict.
const GITHUB_SHAPE = /^sha256=[0-9a-f]{64}$/

const github = scheme({
  name: 'github',
  signsIdAndTimestamp: false,
  signatureHeader: GITHUB_HEADERS.signature,
  eventHeader: GITHUB_HEADERS.event,
  idHeader: GITHUB_HEADERS.delivery,
  timestampHeader: undefined,
  otherSecret: (secret) => `${secret}-not`,
  signWithKey: hexHmacOfBody,
  prepare(secret) {
    // GitHub's signature is the Yetto one (sha256=<hex HMAC of the body>) under another name.
    const signer = createSigner(secret)
    return {
      headers: (delivery) => ({
        'content-type': 'application/json',
        [GITHUB_HEADERS.signature]: signer.sign(delivery.body),
        [GITHUB_HEADERS.event]: delivery.event,
        [GITHUB_HEADERS.delivery]: delivery.id,
      }),
      verify(body, headers) {
        const header = readHeader(headers, GITHUB_HEADERS.signature)
        const value = typeof header === 'string' ? header : header?.length === 1 ? header[0] : header
        if (typeof value === 'string' && value !== '' && !GITHUB_SHAPE.test(value)) {
          return { ok: false, reason: 'malformed', message: `${GITHUB_HEADERS.signature} must be "sha256=" followed by 64 lower-case hex digits, as GitHub sends and its libraries require` }
        }
        const verdict = signer.verify(body, header)
        if (!verdict.ok) return verdict
        return { ok: true, id: readFirstHeader(headers, GITHUB_HEADERS.delivery), event: readFirstHeader(headers, GITHUB_HEADERS.event), timestamp: undefined }
      },
    }
  },
})

export const SCHEMES: Readonly<Record<SchemeName, Scheme>> = Object.freeze({ yetto, standard, github })

export function schemeOf(name: unknown): Scheme {
  if (typeof name !== 'string' || !Object.hasOwn(SCHEMES, name)) {
    throw new CkitError('CKIT_WEBHOOKS_INVALID_OPTION', `webhook scheme must be one of ${SCHEME_NAMES.join(', ')}, instead got ${JSON.stringify(name) ?? String(name)}`)
  }
  return SCHEMES[name as SchemeName]
}
