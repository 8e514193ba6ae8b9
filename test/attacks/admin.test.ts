import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { deskPlugin } from '../../src/desk/index.js'

/** A hostile web page (cross-site requests, DNS rebinding) and a careless log reader. */
describe('the admin API', () => {
  const lines: string[] = []
  let mock: RunningMock
  beforeAll(async () => {
    mock = await startMock({ port: 0, secret: 'k', adminToken: 'admin-token-xyz', desk: deskPlugin, logger: { stream: { write: (line: string) => lines.push(line) } } })
  })
  afterAll(() => mock.close())
  const bearer = { authorization: 'Bearer admin-token-xyz' }

  it('accepts ?token= only on the preview page, and never logs it', async () => {
    expect((await fetch(`${mock.origin}/__admin/journal?token=admin-token-xyz`)).status).toBe(401)
    expect((await fetch(`${mock.origin}/__admin/scenarios?token=admin-token-xyz`)).status).toBe(401)
    expect((await fetch(`${mock.origin}/__admin/journal`, { headers: bearer })).status).toBe(200)
    const preview = await fetch(`${mock.origin}/__admin/preview?email=kelly@example.com&token=admin-token-xyz`)
    expect(preview.status).toBe(200)
    const log = lines.join('')
    expect(log).toContain('token=[redacted]')
    expect(log).not.toContain('admin-token-xyz')
  })

  it('refuses tokens of any other value or length', async () => {
    for (const token of ['', 'a', 'admin-token-xy', 'admin-token-xyzz', 'Admin-token-xyz', 'x'.repeat(10_000)]) {
      expect((await fetch(`${mock.origin}/__admin/journal`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)
    }
  })

  it('cannot be changed by a cross-site form or text/plain POST', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await fetch(`${mock.origin}/__admin/reset`, { method: 'POST', headers: { ...bearer, 'content-type': type }, body: '' })
      expect(response.status).toBe(415)
      expect(await response.json()).toMatchObject({ error: 'admin_intent_required' })
    }
    expect((await fetch(`${mock.origin}/__admin/journal`, { method: 'DELETE', headers: bearer })).status).toBe(415)
    expect((await fetch(`${mock.origin}/__admin/reset`, { method: 'POST', headers: { ...bearer, 'x-ckit-admin': '1' } })).status).toBe(200)
    expect((await fetch(`${mock.origin}/__admin/reset`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' })).status).toBe(200)
  })

  it('refuses a rebinding host name on a loopback bind', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${mock.origin}/__admin/health`, { headers: { host: 'attacker.example:80' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
    expect((await fetch(`${mock.origin}/__admin/health`)).status).toBe(200)
  })
})

describe('starting the mock', () => {
  it('warns loudly when bound to every interface without an admin token', async () => {
    const open = await startMock({ port: 0, host: '0.0.0.0', secret: 'k' })
    try {
      expect(open.warnings).toEqual([expect.stringMatching(/reachable from the network .* without a token/)])
    } finally {
      await open.close()
    }
    const closed = await startMock({ port: 0, host: '0.0.0.0', secret: 'k', adminToken: 'admin-token-xyz' })
    expect(closed.warnings).toEqual([])
    await closed.close()
  })
})
