import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { signWebhook } from '../../src/signature/index.js'
import { SCHEMES, webhookMiddleware, webhookPlugin, type VerifiedDelivery } from '../../src/webhooks/index.js'
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
