import { randomUUID } from 'node:crypto'
import { CkitError } from '../errors.js'
import { parseJson, validate, type Issue, type WebhookPayload } from '../schema/index.js'
import { createSigner, type Secret, type Signer, type SignatureFailureReason } from './hmac.js'
import { HEADERS, PROXY_HINT, readHeader, type HeadersLike } from './headers.js'

/** 🔧 docs/protocol.md §Webhooks: the signature covers the raw request body bytes. */

export interface SignedWebhook {
  /** Exactly the bytes that were signed: send them unchanged. */
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

export interface SignWebhookOptions {
  readonly secret: Secret | Signer
  /** The `{ "yetto": … }` payload, or its JSON text (signed as given). */
  readonly payload: WebhookPayload | string
  readonly event: string
  readonly deliveryId?: string
  /** Unix seconds; defaults to now. */
  readonly timestamp?: number
}

const asSigner = (secret: Secret | Signer): Signer =>
  typeof secret === 'object' && 'sign' in secret ? secret : createSigner(secret)

/** Builds the body and headers the help desk sends for one webhook delivery. */
export function signWebhook(options: SignWebhookOptions): SignedWebhook {
  if (typeof options.event !== 'string' || options.event === '') {
    throw new CkitError('CKIT_SIG_INVALID_OPTION', 'webhook event name must be a non-empty string')
  }
  const body = typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload)
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [HEADERS.signature]: asSigner(options.secret).sign(body),
      [HEADERS.event]: options.event,
      [HEADERS.delivery]: options.deliveryId ?? randomUUID(),
      [HEADERS.timestamp]: String(timestamp),
    },
  }
}

export type WebhookFailureReason = SignatureFailureReason | 'stale' | 'replayed' | 'invalid_json' | 'schema_invalid'

export type ParseWebhookResult =
  | { ok: true; payload: WebhookPayload; event: string | undefined; deliveryId: string | undefined; timestamp: number | undefined }
  | { ok: false; reason: WebhookFailureReason; message: string; status: 400 | 401 | 409; errors?: Issue[] }

export interface ParseWebhookOptions {
  readonly secret: Secret | Signer
  /** The raw body exactly as received (before any JSON parsing). */
  readonly body: string | Uint8Array
  readonly headers?: HeadersLike
  /** Reject deliveries whose X_YETTO_TIMESTAMP is older than this many seconds (off by default). */
  readonly toleranceSeconds?: number
  /** Replay guard (off by default): delivery ids already seen; a `Set<string>` works. */
  readonly seen?: { has(id: string): boolean; add(id: string): unknown }
  /** Current time in ms, for tests. */
  readonly now?: () => number
}

/** Verifies and parses a webhook delivery in a receiver's own server. Never throws for what a sender sends. */
export function parseWebhook(options: ParseWebhookOptions): ParseWebhookResult {
  const verdict = asSigner(options.secret).verify(options.body, readHeader(options.headers, HEADERS.signature))
  if (!verdict.ok) {
    const message = verdict.reason === 'missing' ? `${HEADERS.signature} header is missing; ${PROXY_HINT}` : verdict.message
    return { ok: false, reason: verdict.reason, message, status: 401 }
  }
  const single = (name: string): string | undefined => {
    const value = readHeader(options.headers, name)
    return typeof value === 'string' ? value : value?.[0]
  }
  const event = single(HEADERS.event)
  const deliveryId = single(HEADERS.delivery)
  const rawTimestamp = single(HEADERS.timestamp)
  const timestamp = rawTimestamp !== undefined && /^\d+$/.test(rawTimestamp) ? Number(rawTimestamp) : undefined
  if (options.toleranceSeconds !== undefined) {
    const nowSeconds = (options.now?.() ?? Date.now()) / 1000
    if (timestamp === undefined) return { ok: false, reason: 'stale', message: `${HEADERS.timestamp} header is missing or not Unix seconds`, status: 401 }
    if (Math.abs(nowSeconds - timestamp) > options.toleranceSeconds) {
      return { ok: false, reason: 'stale', message: `delivery timestamp is ${Math.round(nowSeconds - timestamp)} s away from now (tolerance ${options.toleranceSeconds} s)`, status: 401 }
    }
  }
  if (options.seen) {
    if (deliveryId === undefined) return { ok: false, reason: 'replayed', message: `${HEADERS.delivery} header is missing, so replays cannot be detected`, status: 409 }
    if (options.seen.has(deliveryId)) return { ok: false, reason: 'replayed', message: `delivery ${deliveryId} was already received`, status: 409 }
  }
  const parsed = parseJson(options.body)
  if (!parsed.ok) return { ok: false, reason: 'invalid_json', message: `body is not JSON: ${parsed.error.message}`, status: 400 }
  const result = validate('webhook', parsed.value, event === undefined ? {} : { event })
  if (!result.valid) {
    const [first] = result.errors
    return { ok: false, reason: 'schema_invalid', message: `payload is invalid: ${first?.pointer || '/'}: ${first?.message ?? 'invalid'}`, status: 400, errors: result.errors }
  }
  // Only a verified, valid delivery counts as seen, so a forged one cannot block the real one.
  options.seen?.add(deliveryId!)
  return { ok: true, payload: result.value, event, deliveryId, timestamp }
}
