import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { mockPlugin } from '../../src/mock/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'

const context = () => ({ reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } })

describe('mockPlugin mounted in a host fastify app', () => {
  it.each([
    ['before', true],
    ['after', false],
  ])('lives under its prefix next to a host swagger registered %s it, exposing only the decorator', async (_when, swaggerFirst) => {
    const host = Fastify({ routerOptions: { maxParamLength: 8192 } })
    if (swaggerFirst) await host.register(swagger, { openapi: { info: { title: 'host', version: '1' } } })
    host.get('/hello', async () => ({ hello: 'world' }))
    await host.register(mockPlugin, { prefix: '/mock', secret: 'k' })
    if (!swaggerFirst) await host.register(swagger, { openapi: { info: { title: 'host', version: '1' } } })
    await host.ready()
    try {
      expect(host.ckitMock.journal.size).toBe(0)
      const signed = buildSignedRequest({ url: 'http://localhost/mock/', secret: 'k', context: context() })
      const answer = await host.inject({ method: 'GET', url: new URL(signed.url).pathname, headers: signed.headers })
      expect(answer.statusCode).toBe(200)
      expect(answer.json()).toMatchObject({ version: '2024-03-06' })
      expect(host.ckitMock.journal.size).toBe(1)
      expect((await host.inject('/__admin/health')).statusCode).toBe(404)
      expect((await host.inject({ url: '/mock/__admin/health', headers: { host: '127.0.0.1' } })).statusCode).toBe(200)
      // The mock's hooks stay in its own context: a host route answers whatever its Host header.
      expect((await host.inject({ url: '/hello', headers: { host: 'anything.example' } })).json()).toEqual({ hello: 'world' })
      const document = (await host.inject('/mock/openapi.json')).json() as { paths: Record<string, unknown>; info: { title: string } }
      expect(document.info.title).toBe('connection-kit mock customer endpoint')
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/mock/{pathParameter}', '/mock/__admin/journal']))
      expect((host.swagger() as { info: { title: string } }).info.title).toBe('host')
      expect((await host.inject('/mock/docs')).statusCode).toBeLessThan(400)
    } finally {
      await host.close()
    }
  })

  it('says how to configure a host whose path parameters are too short for request contexts', async () => {
    const host = Fastify()
    await expect(host.register(mockPlugin, { secret: 'k' }).ready()).rejects.toMatchObject({ code: 'CKIT_MOCK_INVALID_OPTION', message: expect.stringMatching(/maxParamLength: 8192/) })
    await host.close()
  })
})
