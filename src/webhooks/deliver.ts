import { randomUUID } from 'node:crypto'
import { exchange, headerValue } from '../http/exchange.js'
import { CkitError } from '../errors.js'
import type { WebhookPayload } from '../schema/index.js'
import { DELIVERY_DEFAULTS, type SchemeName } from './defaults.js'
import { schemeOf, type SchemeKey } from './schemes.js'

export { DELIVERY_DEFAULTS } from './defaults.js'

export interface Delivery {
  readonly event: string
  /** The `{ "yetto": … }` payload, or the exact body text to send. */
  readonly payload: WebhookPayload | string
  /** The same on every attempt; a new UUID by default. */
  readonly id?: string
}

export type AttemptErrorKind = 'timeout' | 'network' | 'http_status'

/** One line of the delivery log: one attempt. */
export interface AttemptLog {
  readonly deliveryId: string
  readonly event: string
  readonly attempt: number
  readonly at: string
  readonly status: number | null
  readonly latencyMs: number
  readonly errorKind?: AttemptErrorKind
  readonly error?: string
  /** The start of a refusal's body (up to 1 KiB), so a 409 or 401 says why: `{"error":"replayed"}`. */
  readonly answer?: string
  /** When another attempt follows: how long it waits. */
  readonly retryInMs?: number
}

export interface DeliveryResult {
  readonly deliveryId: string
  readonly event: string
  readonly delivered: boolean
  readonly status: number | null
  readonly attempts: readonly AttemptLog[]
}

export interface DeliverOptions {
  readonly secret: string
  readonly scheme?: SchemeName
  readonly attempts?: number
  /** The first retry waits a random time up to this; each later one up to twice the one before. */
  readonly backoffMs?: number
  readonly timeoutMs?: number
  readonly maxRetryAfterMs?: number
  /** Extra request headers; the scheme's headers win. */
  readonly headers?: Readonly<Record<string, string>>
  /** Called after every attempt (the delivery log). */
  readonly onAttempt?: (entry: AttemptLog) => void
  /** Waiting between attempts; tests pass one that returns at once and records the wait. */
  readonly sleep?: (ms: number) => Promise<void>
  /** In [0, 1): the jitter. */
  readonly random?: () => number
  /** Current time in ms: timestamps and Retry-After dates. */
  readonly now?: () => number
}

interface Resolved {
  /** The scheme's key, prepared once for every delivery and attempt. */
  readonly key: SchemeKey
  readonly attempts: number
  readonly backoffMs: number
  readonly timeoutMs: number
  readonly maxRetryAfterMs: number
  readonly headers: Readonly<Record<string, string>>
  readonly onAttempt: (entry: AttemptLog) => void
  readonly sleep: (ms: number) => Promise<void>
  readonly random: () => number
  readonly now: () => number
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CkitError('CKIT_WEBHOOKS_INVALID_OPTION', `deliver option ${name} must be a whole number from ${min} to ${max}, instead got ${String(value)}`)
  }
  return value
}

export function resolveDeliverOptions(options: DeliverOptions): Resolved {
  if (typeof options?.secret !== 'string' || options.secret === '') throw new CkitError('CKIT_SIG_MISSING_SECRET', 'deliver needs the webhook signing secret')
  return {
    key: schemeOf(options.scheme ?? DELIVERY_DEFAULTS.scheme).prepare(options.secret),
    attempts: wholeNumber('attempts', options.attempts ?? DELIVERY_DEFAULTS.attempts, 1, 100),
    backoffMs: wholeNumber('backoffMs', options.backoffMs ?? DELIVERY_DEFAULTS.backoffMs, 0, 86_400_000),
    timeoutMs: wholeNumber('timeoutMs', options.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs, 1, 600_000),
    maxRetryAfterMs: wholeNumber('maxRetryAfterMs', options.maxRetryAfterMs ?? DELIVERY_DEFAULTS.maxRetryAfterMs, 0, 86_400_000),
    headers: options.headers ?? {},
    onAttempt: options.onAttempt ?? (() => {}),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

const isRetryable = (status: number | null): boolean => status === null || status >= 500 || status === 408 || status === 429

/** What one POST came to: a status, or why there was none. */
export interface AttemptOutcome {
  readonly status: number | null
  readonly errorKind?: AttemptErrorKind
  readonly error?: string
  readonly retryAfter?: string | null
  readonly answer?: string
}

/** How much of a refusal's body is kept: enough for a receiver's JSON error, never a whole page. */
const ANSWER_BYTES = 1024

const is2xx = (status: number): boolean => status >= 200 && status < 300

/**
 * One POST, always settled within `timeoutMs` (the exchange's one ref'd timer: the process stays
 * alive while it waits, even when the receiver half-closes without reading the body). A 2xx body
 * is never read; a refusal's start is kept, so a 409 or 401 says why.
 */
export async function postOnce(target: string, headers: Record<string, string>, body: string | Buffer, timeoutMs: number): Promise<AttemptOutcome> {
  const sent = await exchange({ url: target, method: 'POST', headers, body }, { timeoutMs, maxResponseBytes: ANSWER_BYTES, decode: true, prefixBytes: (status) => (is2xx(status) ? 0 : ANSWER_BYTES) })
  if (sent.status === undefined || (!sent.ok && sent.failure.kind !== 'undecodable')) {
    const failure = sent.ok ? undefined : sent.failure
    return { status: null, errorKind: failure?.kind === 'timeout' ? 'timeout' : 'network', error: failure?.message ?? 'no answer' }
  }
  const { status } = sent
  if (is2xx(status)) return { status }
  // A refusal in a coding that cannot be undone is still a refusal, only without its words.
  const answer = sent.ok ? sent.body.toString('utf8').trim() : ''
  const location = headerValue(sent.headers, 'location')
  const detail = status >= 300 && status < 400 ? `HTTP ${status} redirect${location ? ` to ${location}` : ''} (redirects are not followed)` : `HTTP ${status}`
  return { status, errorKind: 'http_status', error: detail, retryAfter: headerValue(sent.headers, 'retry-after') ?? null, ...(answer === '' ? {} : { answer }) }
}

/**
 * Delivers one webhook: signed by the scheme, POSTed with a per-attempt timeout, retried as
 * DELIVERY_DEFAULTS says, the same id and body on every attempt (re-signed with the attempt's
 * time). Never throws for what the target does; throws CkitError for bad options.
 */
export async function deliver(target: string, delivery: Delivery, options: DeliverOptions): Promise<DeliveryResult> {
  return createSender(options)(target, delivery)
}

/**
 * `deliver` with its options checked and its key prepared once, for many deliveries: what a
 * sender that runs for a while (`ckit webhooks send`, `deliverAll`) holds.
 */
export function createSender(options: DeliverOptions): (target: string, delivery: Delivery) => Promise<DeliveryResult> {
  const o = resolveDeliverOptions(options)
  return (target, delivery) => deliverResolved(target, delivery, o)
}

async function deliverResolved(target: string, delivery: Delivery, o: Resolved): Promise<DeliveryResult> {
  const id = delivery.id ?? randomUUID()
  const body = typeof delivery.payload === 'string' ? delivery.payload : JSON.stringify(delivery.payload)
  const attempts: AttemptLog[] = []
  for (let attempt = 1; ; attempt++) {
    const started = performance.now()
    const at = o.now()
    const headers = { 'content-type': 'application/json', ...o.headers, ...o.key.headers({ id, event: delivery.event, body, timestamp: Math.floor(at / 1000) }) }
    const outcome = await postOnce(target, headers, body, o.timeoutMs)
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300
    const more = !delivered && attempt < o.attempts && isRetryable(outcome.status)
    let retryInMs: number | undefined
    if (more) {
      const hinted = retryAfterMs(outcome.retryAfter ?? null, o.now())
      retryInMs = hinted !== undefined ? Math.min(hinted, o.maxRetryAfterMs) : Math.floor(o.random() * o.backoffMs * 2 ** (attempt - 1))
    }
    const entry: AttemptLog = {
      deliveryId: id,
      event: delivery.event,
      attempt,
      at: new Date(at).toISOString(),
      status: outcome.status,
      latencyMs: Math.round(performance.now() - started),
      ...(outcome.errorKind ? { errorKind: outcome.errorKind, error: outcome.error! } : {}),
      ...(outcome.answer !== undefined ? { answer: outcome.answer } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    }
    attempts.push(entry)
    o.onAttempt(entry)
    if (!more) return { deliveryId: id, event: delivery.event, delivered, status: outcome.status, attempts }
    await o.sleep(retryInMs!)
  }
}

/** Delivers many webhooks, at most `concurrency` at a time, results in the order given. */
export async function deliverAll(target: string, deliveries: readonly Delivery[], options: DeliverOptions & { concurrency?: number }): Promise<DeliveryResult[]> {
  const send = createSender(options)
  const concurrency = wholeNumber('concurrency', options.concurrency ?? DELIVERY_DEFAULTS.concurrency, 1, 1000)
  const results: DeliveryResult[] = new Array(deliveries.length)
  let next = 0
  const worker = async () => {
    while (next < deliveries.length) {
      const index = next++
      results[index] = await send(target, deliveries[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, worker))
  return results
}
