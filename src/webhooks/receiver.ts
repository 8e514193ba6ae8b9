import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CkitError } from '../errors.js'
import { parseJson, validate, type Issue, type WebhookPayload } from '../schema/index.js'
import { createSigner, parseWebhook, ReplayGuard, type HeadersLike } from '../signature/index.js'
import { schemeOf, type SchemeName } from './schemes.js'

/** 🔧 Receiver defaults: 1 MiB bodies, a 5-minute window where the scheme signs the timestamp. */
export const RECEIVER_DEFAULTS = Object.freeze({
  scheme: 'yetto' as SchemeName,
  maxBodyBytes: 1024 * 1024, // 1 MiB
  toleranceSeconds: 300, // 5 minutes
  replayEntries: 100_000,
})

export interface ReceiverOptions {
  readonly secret: string
  readonly scheme?: SchemeName
  /**
   * Refuse deliveries whose timestamp is further from now. With `standard` it is signed and
   * always checked; with `yetto` it is an unsigned header, checked only when set (advisory).
   */
  readonly toleranceSeconds?: number
  /** Remember accepted deliveries and refuse them again (409). `true` for a bounded store of our own. */
  readonly replayGuard?: boolean | { has(key: string): boolean; add(key: string): unknown }
  readonly maxBodyBytes?: number
  /** Current time in ms, for tests. */
  readonly now?: () => number
}

/** A verified, valid delivery, handed to your code. */
export interface VerifiedDelivery {
  readonly event: string | undefined
  readonly deliveryId: string | undefined
  readonly timestamp: number | undefined
  readonly payload: WebhookPayload
  readonly rawBody: Buffer
}

export type VerifyDeliveryResult =
  | { ok: true; delivery: VerifiedDelivery }
  | { ok: false; status: 400 | 401 | 409 | 413; reason: string; message: string; errors?: Issue[] }

interface ResolvedReceiver {
  readonly secret: string
  readonly scheme: ReturnType<typeof schemeOf>
  readonly toleranceSeconds: number | undefined
  readonly seen: { has(key: string): boolean; add(key: string): unknown } | undefined
  readonly maxBodyBytes: number
  readonly now: () => number
}

export function resolveReceiverOptions(options: ReceiverOptions): ResolvedReceiver {
  if (typeof options?.secret !== 'string' || options.secret === '') throw new CkitError('CKIT_SIG_MISSING_SECRET', 'the webhook receiver needs the signing secret; is the environment variable that holds it set?')
  const maxBodyBytes = options.maxBodyBytes ?? RECEIVER_DEFAULTS.maxBodyBytes
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new CkitError('CKIT_WEBHOOKS_INVALID_OPTION', `maxBodyBytes must be a whole number of at least 1, instead got ${String(maxBodyBytes)}`)
  const tolerance = options.toleranceSeconds
  if (tolerance !== undefined && (typeof tolerance !== 'number' || Number.isNaN(tolerance) || tolerance < 0)) throw new CkitError('CKIT_WEBHOOKS_INVALID_OPTION', `toleranceSeconds must be a number of seconds, 0 or more, instead got ${String(tolerance)}`)
  const guard = options.replayGuard
  const scheme = schemeOf(options.scheme ?? RECEIVER_DEFAULTS.scheme)
  scheme.checkSecret(options.secret)
  return {
    secret: options.secret,
    scheme,
    toleranceSeconds: tolerance,
    seen: guard === true ? new ReplayGuard({ maxEntries: RECEIVER_DEFAULTS.replayEntries }) : guard === false || guard === undefined ? undefined : guard,
    maxBodyBytes,
    now: options.now ?? Date.now,
  }
}

/**
 * Verifies a delivery's raw bytes by its scheme, then parses and validates the payload. Yetto
 * deliveries go through `parseWebhook` (replay guard on the body's MAC, the timestamp advisory);
 * Standard Webhooks sign id and timestamp, so those are checked as signed facts. Never throws for
 * what a sender sends.
 */
export function verifyDelivery(options: ResolvedReceiver, rawBody: Buffer, headers: HeadersLike | undefined): VerifyDeliveryResult {
  if (rawBody.byteLength > options.maxBodyBytes) return { ok: false, status: 413, reason: 'too_large', message: `the body is over ${options.maxBodyBytes} bytes` }
  if (options.scheme.name === 'yetto') {
    const result = parseWebhook({
      secret: options.secret,
      body: rawBody,
      headers,
      ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
      ...(options.seen ? { seen: options.seen } : {}),
      now: options.now,
    })
    if (!result.ok) return { ok: false, status: result.status, reason: result.reason, message: result.message, ...(result.errors ? { errors: result.errors } : {}) }
    return { ok: true, delivery: { event: result.event, deliveryId: result.deliveryId, timestamp: result.timestamp, payload: result.payload, rawBody } }
  }
  const verdict = options.scheme.verify(options.secret, rawBody, headers, { toleranceSeconds: options.toleranceSeconds ?? RECEIVER_DEFAULTS.toleranceSeconds, nowMs: options.now() })
  if (!verdict.ok) return { ok: false, status: 401, reason: verdict.reason, message: verdict.message }
  // Where the id is signed it identifies the delivery; otherwise only the body's MAC does.
  const replayKey = options.scheme.signsIdAndTimestamp && verdict.id ? `id:${verdict.id}` : `mac:${createSigner(options.secret).sign(rawBody)}`
  if (options.seen?.has(replayKey)) return { ok: false, status: 409, reason: 'replayed', message: `this delivery was already received${verdict.id ? ` (${verdict.id})` : ''}: a replay` }
  const parsed = parseJson(rawBody)
  if (!parsed.ok) return { ok: false, status: 400, reason: 'invalid_json', message: `body is not JSON: ${parsed.error.message}` }
  const checked = validate('webhook', parsed.value, verdict.event === undefined ? {} : { event: verdict.event })
  if (!checked.valid) {
    const [first] = checked.errors
    return { ok: false, status: 400, reason: 'schema_invalid', message: `payload is invalid: ${first?.pointer || '/'}: ${first?.message ?? 'invalid'}`, errors: checked.errors }
  }
  options.seen?.add(replayKey)
  return { ok: true, delivery: { event: verdict.event, deliveryId: verdict.id, timestamp: verdict.timestamp, payload: checked.value, rawBody } }
}

/** Reads the whole body as bytes, stopping at the cap (the rest is drained, not kept). */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > maxBytes) {
        req.removeAllListeners('data')
        req.resume()
        resolve('too_large')
        return
      }
      chunks.push(chunk)
    })
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

const refuse = (res: ServerResponse, status: number, reason: string, message: string, errors?: Issue[]) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason, message, ...(errors ? { errors } : {}) }))
}

/**
 * Connect/Express-style middleware for plain `node:http` servers too: reads the raw body itself
 * (mount it before any JSON body parser: a signature over re-serialised JSON never matches),
 * answers 401/400/409/413 with a JSON reason, and on success sets `req.webhook` and calls next().
 */
export function webhookMiddleware(options: ReceiverOptions): (req: IncomingMessage & { webhook?: VerifiedDelivery; body?: unknown }, res: ServerResponse, next: (error?: unknown) => void) => void {
  const resolved = resolveReceiverOptions(options)
  return (req, res, next) => {
    if (req.method !== 'POST') return refuse(res, 405, 'method_not_allowed', 'webhook deliveries are POST requests')
    const already = req.body
    // Express's raw() parser leaves a Buffer: the bytes as sent. A parsed object cannot be verified.
    if (already !== undefined && !Buffer.isBuffer(already)) {
      return refuse(res, 500, 'body_already_parsed', 'a JSON body parser ran before the webhook middleware: mount it first (or use express.raw()), since the signature covers the raw bytes')
    }
    const body = Buffer.isBuffer(already) ? Promise.resolve(already) : readRawBody(req, resolved.maxBodyBytes)
    body.then(
      (raw) => {
        if (raw === 'too_large') return refuse(res, 413, 'too_large', `the body is over ${resolved.maxBodyBytes} bytes`)
        const result = verifyDelivery(resolved, raw, req.headers)
        if (!result.ok) return refuse(res, result.status, result.reason, result.message, result.errors)
        req.webhook = result.delivery
        next()
      },
      (error: unknown) => next(error),
    )
  }
}

export interface WebhookPluginOptions extends ReceiverOptions {
  /** Where deliveries arrive (default `/webhooks`). */
  readonly path?: string
  /** Your code: runs for verified, valid deliveries only. Its return value is sent (204 when undefined). */
  handler(delivery: VerifiedDelivery, request: FastifyRequest, reply: FastifyReply): unknown
}

/**
 * A fastify plugin that receives deliveries at `path`: encapsulated (its raw-body parser applies
 * to its own route only), verifying before your handler runs.
 */
export async function webhookPlugin(app: FastifyInstance, options: WebhookPluginOptions): Promise<void> {
  const resolved = resolveReceiverOptions(options)
  if (typeof options.handler !== 'function') throw new CkitError('CKIT_WEBHOOKS_INVALID_OPTION', 'webhookPlugin needs a handler(delivery, request, reply)')
  app.removeAllContentTypeParsers()
  // Every content type as bytes: the signature covers the body exactly as sent.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: resolved.maxBodyBytes }, (_request, body, done) => done(null, body))
  const tooLarge = `the body is over ${resolved.maxBodyBytes} bytes`
  app.post(options.path ?? '/webhooks', {
    // fastify refuses an over-size body before the handler with a body of its own; one failure
    // gets one shape, the one webhookMiddleware and `ckit webhooks listen` answer.
    errorHandler: (error: Error & { code?: string }, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'too_large', message: tooLarge })
      throw error
    },
  }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const result = verifyDelivery(resolved, raw, request.headers)
    if (!result.ok) return reply.code(result.status).send({ error: result.reason, message: result.message, ...(result.errors ? { errors: result.errors } : {}) })
    const answer = await options.handler(result.delivery, request, reply)
    if (reply.sent) return reply
    return answer === undefined ? reply.code(204).send() : answer
  })
}
