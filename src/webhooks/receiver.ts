import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CkitError } from '../errors.js'
import type { Issue, WebhookPayload } from '../schema/index.js'
import { createSigner, ReplayGuard, type HeadersLike, type Signer } from '../signature/index.js'
import { acceptWebhookBody, bodyReplayKey } from '../signature/webhook.js'
import { RECEIVER_DEFAULTS, type SchemeName } from './defaults.js'
import { schemeOf, type Scheme, type SchemeKey } from './schemes.js'

export { RECEIVER_DEFAULTS } from './defaults.js'

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
  readonly scheme: Scheme
  /** The scheme's key, prepared once for every delivery this receiver verifies. */
  readonly key: SchemeKey
  /** Keys the replay guard by body where the scheme leaves the delivery id unsigned. */
  readonly mac: Signer
  /** `Infinity` where nothing is checked: the Yetto scheme's unsigned timestamp unless asked. */
  readonly toleranceSeconds: number
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
  return {
    scheme,
    key: scheme.prepare(options.secret),
    mac: createSigner(options.secret),
    // A signed timestamp is always checked; an unsigned one only when asked (advisory).
    toleranceSeconds: tolerance ?? (scheme.signsIdAndTimestamp ? RECEIVER_DEFAULTS.toleranceSeconds : Infinity),
    seen: guard === true ? new ReplayGuard({ maxEntries: RECEIVER_DEFAULTS.replayEntries }) : guard === false || guard === undefined ? undefined : guard,
    maxBodyBytes,
    now: options.now ?? Date.now,
  }
}

/**
 * Verifies a delivery's raw bytes by its scheme, then parses and validates the payload: one
 * pipeline for every scheme. Where the scheme signs the delivery id the replay guard keys on it;
 * otherwise on the body's MAC, which the signature covers whatever the headers say. Never throws
 * for what a sender sends.
 */
export function verifyDelivery(options: ResolvedReceiver, rawBody: Buffer, headers: HeadersLike | undefined): VerifyDeliveryResult {
  if (rawBody.byteLength > options.maxBodyBytes) return { ok: false, status: 413, reason: 'too_large', message: tooLargeMessage(options.maxBodyBytes) }
  const verdict = options.key.verify(rawBody, headers, { toleranceSeconds: options.toleranceSeconds, nowMs: options.now() })
  if (!verdict.ok) return { ok: false, status: 401, reason: verdict.reason, message: verdict.message }
  const byId = options.scheme.signsIdAndTimestamp && verdict.id !== undefined
  const accepted = acceptWebhookBody({
    body: rawBody,
    event: verdict.event,
    deliveryId: verdict.id,
    seen: options.seen,
    replayKey: byId ? { by: 'id', key: `id:${verdict.id}` } : { by: 'body', key: options.seen ? bodyReplayKey(options.mac, rawBody) : '' },
  })
  if (!accepted.ok) return accepted
  return { ok: true, delivery: { event: verdict.event, deliveryId: verdict.id, timestamp: verdict.timestamp, payload: accepted.payload, rawBody } }
}

export const tooLargeMessage = (maxBodyBytes: number): string => `the body is over ${maxBodyBytes} bytes`

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

/** The one shape of a refusal, from the middleware, the fastify plugin and `ckit webhooks listen`. */
export const refusalBody = (reason: string, message: string, errors?: Issue[]): { error: string; message: string; errors?: Issue[] } => ({ error: reason, message, ...(errors ? { errors } : {}) })

const refuse = (res: ServerResponse, status: number, reason: string, message: string, errors?: Issue[]) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(refusalBody(reason, message, errors)))
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
        if (raw === 'too_large') return refuse(res, 413, 'too_large', tooLargeMessage(resolved.maxBodyBytes))
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
  app.post(options.path ?? '/webhooks', {
    // fastify refuses some requests before the handler with a body of its own (413 over the limit,
    // 415, 400 for a bad Content-Length): one failure gets one shape, the one webhookMiddleware and
    // `ckit webhooks listen` answer.
    errorHandler: (error: Error & { code?: string; statusCode?: number }, _request, reply) => {
      const status = error.statusCode ?? 500
      if (!error.code?.startsWith('FST_') || status < 400 || status > 499) throw error
      const [reason, message] = status === 413 ? ['too_large', tooLargeMessage(resolved.maxBodyBytes)] : status === 415 ? ['unsupported_media_type', error.message] : ['bad_request', error.message]
      return reply.code(status).send(refusalBody(reason, message))
    },
  }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const result = verifyDelivery(resolved, raw, request.headers)
    if (!result.ok) return reply.code(result.status).send(refusalBody(result.reason, result.message, result.errors))
    const answer = await options.handler(result.delivery, request, reply)
    if (reply.sent) return reply
    return answer === undefined ? reply.code(204).send() : answer
  })
}
