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


/** A delivery whose signature holds, with what its headers say (signed or not, by scheme). */
export type WebhookVerdict =
  | { ok: true; id: string | undefined; event: string | undefined; timestamp: number | undefined }
  | { ok: false; reason: SignatureFailureReason | 'stale'; message: string }

/**
 * The Yetto scheme's check: the signature over the body, then, when `toleranceSeconds` is finite,
 * the advisory timestamp (its header is unsigned). Both `parseWebhook` and the receiver's `yetto`
 * scheme judge a delivery here, so they cannot disagree.
 */
export function checkYettoWebhook(signer: Signer, body: string | Uint8Array, headers: HeadersLike | undefined, toleranceSeconds: number, nowMs: number): WebhookVerdict {
  const verdict = signer.verify(body, readHeader(headers, HEADERS.signature))
  if (!verdict.ok) return verdict.reason === 'missing' ? { ok: false, reason: 'missing', message: `${HEADERS.signature} header is missing; ${PROXY_HINT}` } : verdict
  const event = readFirstHeader(headers, HEADERS.event)
  const id = readFirstHeader(headers, HEADERS.delivery)
  const rawTimestamp = readFirstHeader(headers, HEADERS.timestamp)
  const timestamp = rawTimestamp !== undefined && /^\d{1,15}$/.test(rawTimestamp) ? Number(rawTimestamp) : undefined
  if (toleranceSeconds !== Infinity) {
    const nowSeconds = nowMs / 1000
    if (timestamp === undefined) return { ok: false, reason: 'stale', message: `${HEADERS.timestamp} header is missing or not Unix seconds` }
    if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
      return { ok: false, reason: 'stale', message: `delivery timestamp is ${Math.round(nowSeconds - timestamp)} s away from now (tolerance ${toleranceSeconds} s)` }
    }
  }
  return { ok: true, id, event, timestamp }
}

/** The replay guard's key for a body: its MAC, which the signature covers whatever the headers say. */
export const bodyReplayKey = (signer: Signer, body: string | Uint8Array): string => signer.sign(body).slice(SIGNATURE_PREFIX.length)

export interface AcceptWebhookBody {
  readonly body: string | Uint8Array
  readonly event: string | undefined
  readonly deliveryId: string | undefined
  readonly seen: { has(key: string): boolean; add(key: string): unknown } | undefined
  /** What identifies the delivery to the guard: the delivery id where it is signed, else the body's MAC. */
  readonly replayKey: { readonly by: 'id' | 'body'; readonly key: string }
}

export type AcceptWebhookResult = { ok: true; payload: WebhookPayload } | { ok: false; reason: 'replayed' | 'invalid_json' | 'schema_invalid'; message: string; status: 400 | 409; errors?: Issue[] }

/**
 * What every receiver does once a signature holds, whatever the scheme: refuse a replay, parse the
 * body, validate it as the event's payload, and only then remember it, so a forged or invalid
 * delivery cannot block the real one.
 */
export function acceptWebhookBody(delivery: AcceptWebhookBody): AcceptWebhookResult {
  const { seen, replayKey, deliveryId } = delivery
  if (seen?.has(replayKey.key)) {
    const message =
      replayKey.by === 'id'
        ? `this delivery was already received${deliveryId === undefined ? '' : ` (${deliveryId})`}: a replay`
        : `this body was already received${deliveryId === undefined ? '' : ` (now under delivery id ${deliveryId})`}: a replay`
    return { ok: false, reason: 'replayed', message, status: 409 }
  }
  const parsed = parseJson(delivery.body)
  if (!parsed.ok) return { ok: false, reason: 'invalid_json', message: `body is not JSON: ${parsed.error.message}`, status: 400 }
  const result = validate('webhook', parsed.value, delivery.event === undefined ? {} : { event: delivery.event })
  if (!result.valid) {
    const [first] = result.errors
    return { ok: false, reason: 'schema_invalid', message: `payload is invalid: ${first?.pointer || '/'}: ${first?.message ?? 'invalid'}`, status: 400, errors: result.errors }
  }
  seen?.add(replayKey.key)
  return { ok: true, payload: result.value }
}

/**
 * Verifies and parses a webhook delivery in a receiver's own server. Never throws for what a
 * sender sends; throws `CKIT_SIG_MISSING_SECRET` when called without a secret.
 */
export function parseWebhook(options: ParseWebhookOptions): ParseWebhookResult {
  const signer = asSigner(options.secret)
  const toleranceSeconds = options.toleranceSeconds === undefined ? Infinity : assertToleranceSeconds(options.toleranceSeconds)
  const verdict = checkYettoWebhook(signer, options.body, options.headers, toleranceSeconds, options.now?.() ?? Date.now())
  if (!verdict.ok) return { ok: false, reason: verdict.reason, message: verdict.message, status: 401 }
  const accepted = acceptWebhookBody({
    body: options.body,
    event: verdict.event,
    deliveryId: verdict.id,
    seen: options.seen,
    // The verified MAC identifies the body; headers around it are not authenticated.
    replayKey: { by: 'body', key: options.seen ? bodyReplayKey(signer, options.body) : '' },
  })
  if (!accepted.ok) return accepted
  return { ok: true, payload: accepted.payload, event: verdict.event, deliveryId: verdict.id, timestamp: verdict.timestamp }
}
