import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakePayload } from '../../src/fake/index.js'
import { signWebhook } from '../../src/signature/index.js'
import { webhookMiddleware, webhookPlugin } from '../../src/webhooks/index.js'

const LIMIT = 1024

/** An over-size body: one failure, so one answer, whichever receiver a user mounted. */
describe('an over-size delivery', () => {
  let plain: Server
  let app: FastifyInstance
  let middlewareUrl: string
  let pluginUrl: string
  beforeAll(async () => {
    const middleware = webhookMiddleware({ secret: 's3cret', maxBodyBytes: LIMIT })
    plain = createServer((req, res) => middleware(req, res, () => res.writeHead(204).end()))
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    middlewareUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/webhooks`
    app = Fastify()
    await app.register(webhookPlugin, {
      secret: 's3cret',
      maxBodyBytes: LIMIT,
      handler: () => {
        throw new Error('the handler failed')
      },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    pluginUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks`
  })
  afterAll(async () => {
    await app.close()
    await new Promise((resolve) => plain.close(resolve))
  })

  const send = async (url: string, body: string | ReadableStream<Uint8Array>) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(typeof body === 'string' ? {} : { duplex: 'half' }) } as RequestInit)
    return { status: response.status, type: response.headers.get('content-type')?.split(';')[0], body: (await response.json()) as unknown }
  }
  const chunked = (size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(size).fill(0x61))
        controller.close()
      },
    })

  it('gets the same 413 { error: "too_large", message } from webhookMiddleware and webhookPlugin', async () => {
    const body = `{"yetto":"${'a'.repeat(LIMIT * 2)}"}`
    const fromMiddleware = await send(middlewareUrl, body)
    const fromPlugin = await send(pluginUrl, body)
    expect(fromMiddleware).toEqual({ status: 413, type: 'application/json', body: { error: 'too_large', message: `the body is over ${LIMIT} bytes` } })
    expect(fromPlugin).toEqual(fromMiddleware)
  })

  it('gets it too when the size is only known while streaming (chunked, no Content-Length)', async () => {
    const fromMiddleware = await send(middlewareUrl, chunked(LIMIT * 4))
    const fromPlugin = await send(pluginUrl, chunked(LIMIT * 4))
    expect(fromPlugin).toEqual(fromMiddleware)
    expect(fromPlugin.body).toMatchObject({ error: 'too_large' })
  })

  it('leaves other errors to fastify: a handler that throws on a verified delivery is still a 500', async () => {
    const payload = await fakePayload('message.created', 1)
    const signed = signWebhook({ secret: 's3cret', payload: payload as never, event: 'message.created' })
    const response = await fetch(pluginUrl, { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body: signed.body })
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ statusCode: 500, message: 'the handler failed' })
  })
})
