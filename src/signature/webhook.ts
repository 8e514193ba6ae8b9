import { randomUUID } from 'node:crypto'
import { CkitError } from '../errors.js'
import { parseJson, validate, type Issue, type WebhookPayload } from '../schema/index.js'
import { asSigner, SIGNATURE_PREFIX, type Secret, type Signer, type SignatureFailureReason } from './hmac.js'
import { assertToleranceSeconds } from './request.js'
import { HEADERS, PROXY_HINT, readFirstHeader, readHeader, type HeadersLike } from './headers.js'

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
  /** Required: an absent or empty secret throws `CKIT_SIG_MISSING_SECRET`, never skips the check. */
  readonly secret: Secret | Signer
  /** The raw body exactly as received (before any JSON parsing). */
  readonly body: string | Uint8Array
  readonly headers?: HeadersLike
  /**
   * Reject deliveries whose X_YETTO_TIMESTAMP is further than this many seconds from now (off by
   * default). Advisory: the Yetto scheme does not sign that header, so it stops honest mistakes
   * and lazy replays, not an attacker who rewrites it (docs/protocol.md §Webhook replay).
   */
  readonly toleranceSeconds?: number
  /**
   * Replay guard (off by default): remembers the MAC of every accepted body, which the signature
   * does cover, so a captured delivery cannot come back under a new delivery id or timestamp.
   * A `Set<string>` works; `new ReplayGuard()` is bounded.
   */
  readonly seen?: { has(key: string): boolean; add(key: string): unknown }
  /** Current time in ms, for tests. */
  readonly now?: () => number
}

/**
 * A bounded memory of accepted deliveries for `parseWebhook({ seen })`: the oldest keys are
 * forgotten first, so a flood of valid deliveries cannot grow it without limit. Keep more entries
 * than deliveries you receive within your sender's retry window (about an hour for Yetto).
 */
export class ReplayGuard {
  readonly #keys = new Set<string>()
  readonly maxEntries: number
  constructor(options: { maxEntries?: number } = {}) {
    const maxEntries = options.maxEntries ?? 100_000
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new CkitError('CKIT_SIG_INVALID_OPTION', `ReplayGuard maxEntries must be a whole number of at least 1, instead got ${String(maxEntries)}`)
    }
    this.maxEntries = maxEntries
  }
  has(key: string): boolean {
    return this.#keys.has(key)
  }
  add(key: string): this {
    this.#keys.add(key)
    if (this.#keys.size > this.maxEntries) this.#keys.delete(this.#keys.values().next().value as string)
    return this
  }
  get size(): number {
    return this.#keys.size
  }
}


/**
 * Verifies and parses a webhook delivery in a receiver's own server. Never throws for what a
 * sender sends; throws `CKIT_SIG_MISSING_SECRET` when called without a secret.
 */
export function parseWebhook(options: ParseWebhookOptions): ParseWebhookResult {
  const signer = asSigner(options.secret)
  const toleranceSeconds = options.toleranceSeconds === undefined ? undefined : assertToleranceSeconds(options.toleranceSeconds)
  const signatureHeader = readHeader(options.headers, HEADERS.signature)
  const verdict = signer.verify(options.body, signatureHeader)
  if (!verdict.ok) {
    const message = verdict.reason === 'missing' ? `${HEADERS.signature} header is missing; ${PROXY_HINT}` : verdict.message
    return { ok: false, reason: verdict.reason, message, status: 401 }
  }
  const event = readFirstHeader(options.headers, HEADERS.event)
  const deliveryId = readFirstHeader(options.headers, HEADERS.delivery)
  const rawTimestamp = readFirstHeader(options.headers, HEADERS.timestamp)
  const timestamp = rawTimestamp !== undefined && /^\d{1,15}$/.test(rawTimestamp) ? Number(rawTimestamp) : undefined
  if (toleranceSeconds !== undefined && toleranceSeconds !== Infinity) {
    const nowSeconds = (options.now?.() ?? Date.now()) / 1000
    if (timestamp === undefined) return { ok: false, reason: 'stale', message: `${HEADERS.timestamp} header is missing or not Unix seconds`, status: 401 }
    if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
      return { ok: false, reason: 'stale', message: `delivery timestamp is ${Math.round(nowSeconds - timestamp)} s away from now (tolerance ${toleranceSeconds} s)`, status: 401 }
    }
  }
  // The verified MAC identifies the body; headers around it are not authenticated.
  const replayKey = options.seen ? signer.sign(options.body).slice(SIGNATURE_PREFIX.length) : ''
  if (options.seen?.has(replayKey)) {
    return { ok: false, reason: 'replayed', message: `this body was already received${deliveryId === undefined ? '' : ` (now under delivery id ${deliveryId})`}: a replay`, status: 409 }
  }
  const parsed = parseJson(options.body)
  if (!parsed.ok) return { ok: false, reason: 'invalid_json', message: `body is not JSON: ${parsed.error.message}`, status: 400 }
  const result = validate('webhook', parsed.value, event === undefined ? {} : { event })
  if (!result.valid) {
    const [first] = result.errors
    return { ok: false, reason: 'schema_invalid', message: `payload is invalid: ${first?.pointer || '/'}: ${first?.message ?? 'invalid'}`, status: 400, errors: result.errors }
  }
  // Only a verified, valid delivery counts as seen, so a forged one cannot block the real one.
  if (options.seen) options.seen.add(replayKey)
  return { ok: true, payload: result.value, event, deliveryId, timestamp }
}
