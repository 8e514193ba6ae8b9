import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseWebhook, signWebhook } from '../../src/signature/index.js'
import { createSender, deliver, SCHEME_NAMES, SCHEMES, webhookMiddleware, webhookPlugin, type VerifiedDelivery } from '../../src/webhooks/index.js'
import { readFixture } from '../helpers.js'

const payload = readFixture('webhook/valid/message-created.json')
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function middlewareServer(options: Parameters<typeof webhookMiddleware>[0], preParse = false) {
  const seen: VerifiedDelivery[] = []
  const middleware = webhookMiddleware(options)
  const server: Server = createServer((req, res) => {
    if (preParse) (req as { body?: unknown }).body = { parsed: true }
    middleware(req, res, () => {
      seen.push((req as { webhook?: VerifiedDelivery }).webhook!)
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(resolve)))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen }
}

const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers })

describe('webhookMiddleware (node:http, Connect, Express)', () => {
  it('hands verified deliveries on and refuses the rest with a JSON reason', async () => {
    const { url, seen } = await middlewareServer({ secret: 's3cret', replayGuard: true })
    const signed = signWebhook({ secret: 's3cret', payload: payload as never, event: 'message.created', deliveryId: 'd-1' })
    expect((await post(url, signed.body, signed.headers)).status).toBe(204)
    expect(seen[0]).toMatchObject({ event: 'message.created', deliveryId: 'd-1', payload })
    const replay = await post(url, signed.body, { ...signed.headers, X_YETTO_DELIVERY: 'd-2' })
    expect(replay.status).toBe(409)
    const tampered = await post(url, signed.body.replace('msg_', 'msg-'), signed.headers)
    expect(tampered.status).toBe(401)
    expect(await tampered.json()).toMatchObject({ error: 'mismatch' })
    expect((await post(url, signed.body, {})).status).toBe(401)
    const notJson = signWebhook({ secret: 's3cret', payload: '{"yetto":', event: 'message.created' })
    expect((await post(url, notJson.body, notJson.headers)).status).toBe(400)
  })

  it('refuses to verify a body some JSON parser already re-serialised', async () => {
    const { url } = await middlewareServer({ secret: 's3cret' }, true)
    const signed = signWebhook({ secret: 's3cret', payload: payload as never, event: 'message.created' })
    const answer = await post(url, signed.body, signed.headers)
    expect(answer.status).toBe(500)
    expect(await answer.json()).toMatchObject({ error: 'body_already_parsed' })
  })

  it('verifies Standard Webhooks deliveries, id and timestamp included', async () => {
    const { url } = await middlewareServer({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', scheme: 'standard', replayGuard: true })
    const body = JSON.stringify(payload)
    const headers = SCHEMES.standard.headers('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', { id: 'msg_1', event: 'message.created', body, timestamp: Math.floor(Date.now() / 1000) })
    expect((await post(url, body, headers)).status).toBe(204)
    expect((await post(url, body, headers)).status).toBe(409)
    const old = SCHEMES.standard.headers('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', { id: 'msg_2', event: 'message.created', body, timestamp: Math.floor(Date.now() / 1000) - 3600 })
    expect(await (await post(url, body, old)).json()).toMatchObject({ error: 'stale' })
  })

  it('needs a secret', () => {
    expect(() => webhookMiddleware({ secret: process.env['CKIT_NOT_SET_FOR_TESTS'] as string })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_MISSING_SECRET' }))
  })
})

describe('webhookPlugin (fastify)', () => {
  it('receives at its path with the raw bytes, next to routes that parse JSON as usual', async () => {
    const app = Fastify()
    const seen: VerifiedDelivery[] = []
    app.post('/api', async (request) => ({ echoed: request.body }))
    await app.register(webhookPlugin, { secret: 's3cret', path: '/hooks/yetto', handler: (delivery) => void seen.push(delivery) })
    await app.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const signed = signWebhook({ secret: 's3cret', payload: payload as never, event: 'message.created' })
    expect((await post(`${base}/hooks/yetto`, signed.body, signed.headers)).status).toBe(204)
    expect(seen).toHaveLength(1)
    expect((await post(`${base}/hooks/yetto`, signed.body, { ...signed.headers, X_YETTO_SIGNATURE: 'sha256=' + '0'.repeat(64) })).status).toBe(401)
    expect(await (await post(`${base}/api`, '{"a":1}', { 'content-type': 'application/json' })).json()).toEqual({ echoed: { a: 1 } })
  })
})

describe('one verification pipeline for every scheme', () => {
  const SECRETS = { yetto: 's3cret', standard: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', github: 'gh-s3cret' } as const

  async function pluginServer(scheme: keyof typeof SECRETS, extra: Partial<Parameters<typeof webhookPlugin>[1]> = {}) {
    const app = Fastify()
    const seen: VerifiedDelivery[] = []
    await app.register(webhookPlugin, { secret: SECRETS[scheme], scheme, replayGuard: true, handler: (delivery) => void seen.push(delivery), ...extra })
    await app.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => app.close())
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks`, seen }
  }

  for (const scheme of SCHEME_NAMES) {
    it(`${scheme}: a delivery the sender signed is received; a tampered one is refused as a mismatch, a replay as replayed`, async () => {
      const { url, seen } = await pluginServer(scheme)
      const body = JSON.stringify(payload)
      const result = await deliver(url, { event: 'message.created', payload: body, id: 'd-1' }, { secret: SECRETS[scheme], scheme, attempts: 1 })
      expect(result).toMatchObject({ delivered: true, status: 204 })
      expect(seen).toEqual([expect.objectContaining({ event: 'message.created', deliveryId: 'd-1', payload })])

      const headers = SCHEMES[scheme].headers(SECRETS[scheme], { id: 'd-2', event: 'message.created', body, timestamp: Math.floor(Date.now() / 1000) })
      const tampered = await post(url, body.replace('msg_', 'msg-'), headers)
      expect(tampered.status).toBe(401)
      expect(await tampered.json()).toEqual({ error: 'mismatch', message: expect.any(String) })
      // The same body again: a replay where the body identifies the delivery, a new delivery where the signed id does.
      const again = await post(url, body, headers)
      expect(again.status).toBe(SCHEMES[scheme].signsIdAndTimestamp ? 204 : 409)
      expect(await (await post(url, body, headers)).json()).toMatchObject({ error: 'replayed' })
      expect(seen).toHaveLength(SCHEMES[scheme].signsIdAndTimestamp ? 2 : 1)
    })
  }

  it('prepares each key once: the sender for all its deliveries, the receiver for all it verifies', async () => {
    const prepare = vi.spyOn(SCHEMES.standard, 'prepare')
    try {
      const { url, seen } = await pluginServer('standard')
      const send = createSender({ secret: SECRETS.standard, scheme: 'standard', attempts: 1 })
      for (const id of ['p-1', 'p-2', 'p-3']) expect(await send(url, { event: 'message.created', payload: JSON.stringify(payload), id })).toMatchObject({ delivered: true })
      expect(seen).toHaveLength(3)
      expect(prepare).toHaveBeenCalledTimes(2)
    } finally {
      prepare.mockRestore()
    }
  })

  it("yetto: the receiver's advisory timestamp check is the scheme's own, and parseWebhook's", async () => {
    const { url } = await pluginServer('yetto', { toleranceSeconds: 60 })
    const old = signWebhook({ secret: SECRETS.yetto, payload: payload as never, event: 'message.created', timestamp: Math.floor(Date.now() / 1000) - 3600 })
    const answer = await post(url, old.body, old.headers)
    expect(answer.status).toBe(401)
    const refusal = (await answer.json()) as { error: string; message: string }
    expect(refusal.error).toBe('stale')
    const direct = parseWebhook({ secret: SECRETS.yetto, body: old.body, headers: old.headers, toleranceSeconds: 60 })
    expect(direct).toMatchObject({ ok: false, reason: 'stale' })
    expect(refusal.message).toBe((direct as { message: string }).message)
  })

  it("answers fastify's own refusals in the module's shape: 413 over the limit, 400 for a bad Content-Length", async () => {
    const { url, seen } = await pluginServer('yetto', { maxBodyBytes: 100 })
    const big = signWebhook({ secret: SECRETS.yetto, payload: payload as never, event: 'message.created' })
    const tooLarge = await post(url, big.body, big.headers)
    expect(tooLarge.status).toBe(413)
    expect(await tooLarge.json()).toEqual({ error: 'too_large', message: 'the body is over 100 bytes' })
    const app = Fastify()
    await app.register(webhookPlugin, { secret: SECRETS.yetto, handler: () => undefined })
    const short = await app.inject({ method: 'POST', url: '/webhooks', payload: big.body, headers: { ...big.headers, 'content-length': String(big.body.length + 10) } })
    expect(short.statusCode).toBe(400)
    expect(short.json()).toEqual({ error: 'bad_request', message: expect.any(String) })
    await app.close()
    expect(seen).toHaveLength(0)
  })
})
