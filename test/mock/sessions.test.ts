import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { DEFAULT_DATA_DIR } from '../../src/mock/data.js'
import { SessionRegistry } from '../../src/mock/sessions.js'
import { reloadMockData } from '../../src/mock/state.js'
import type { RequestContext } from '../../src/schema/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'

const SECRET = 'session-secret'
const context = (email: string, reason: RequestContext['reason'] = 'conversation_viewed'): RequestContext => ({ reason, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email } })
const JSON_TYPE = { 'content-type': 'application/json' }

let mock: RunningMock
/** A signed customer-connection request, as a help desk configured with `base` sends it. */
const fetchAs = (base: string, email: string) => {
  const request = buildSignedRequest({ url: base, secret: SECRET, context: context(email) })
  return fetch(request.url, { headers: request.headers })
}
const sessionUrl = (id: string) => `${mock.origin}/sessions/${id}/`
const admin = (prefix: string, path: string, init: RequestInit = {}) => fetch(`${mock.origin}${prefix}/__admin${path}`, { ...init, headers: { ...JSON_TYPE, ...init.headers } })
const journalEmails = async (prefix: string) => ((await (await admin(prefix, '/journal')).json()) as { entries: { email?: string }[] }).entries.map((e) => e.email)

beforeAll(async () => {
  mock = await startMock({ port: 0, secret: SECRET, seed: 5 })
})
afterAll(async () => {
  await mock.close()
})

describe('sessions selected by URL', () => {
  it('two sessions with conflicting scenarios each get their own, and the root keeps its own', async () => {
    expect((await admin('/sessions/alpha', '/scenarios', { method: 'PUT', body: JSON.stringify({ default: 'status:500' }) })).status).toBe(200)
    expect((await admin('/sessions/beta', '/scenarios', { method: 'PUT', body: JSON.stringify({ default: 'status:404', rules: [{ match: 'ok@beta.test', scenario: 'ok' }] }) })).status).toBe(200)

    expect((await fetchAs(sessionUrl('alpha'), 'a@example.com')).status).toBe(500)
    expect((await fetchAs(sessionUrl('beta'), 'b@example.com')).status).toBe(404)
    expect((await fetchAs(sessionUrl('beta'), 'ok@beta.test')).status).toBe(200)
    // alpha never saw beta's rule, and the root neither scenario
    expect((await fetchAs(sessionUrl('alpha'), 'ok@beta.test')).status).toBe(500)
    expect((await fetchAs(mock.url, 'root@example.com')).status).toBe(200)

    expect(await journalEmails('/sessions/alpha')).toEqual(['ok@beta.test', 'a@example.com'])
    expect(await journalEmails('/sessions/beta')).toEqual(['ok@beta.test', 'b@example.com'])
    expect(await journalEmails('')).not.toContain('a@example.com')
    expect(((await (await admin('/sessions/alpha', '/scenarios')).json()) as { active: unknown }).active).toEqual({ default: 'status:500', rules: [] })
    expect(((await (await admin('', '/scenarios')).json()) as { active: { default: string } }).active.default).toBe('ok')
    expect(await (await admin('/sessions/beta', '/journal/count?email=ok@beta.test')).json()).toEqual({ count: 1 })
  })

  it('runtime customers, sequence counters and reset belong to one session', async () => {
    const customer = { customer: { id: 'c_1', name: 'Only In Gamma' } }
    expect((await admin('/sessions/gamma', '/customers/kelly@example.com', { method: 'PUT', body: JSON.stringify(customer) })).status).toBe(200)
    const name = async (base: string) => ((await (await fetchAs(base, 'kelly@example.com')).json()) as { customer: { name: string } }).customer.name
    expect(await name(sessionUrl('gamma'))).toBe('Only In Gamma')
    expect(await name(sessionUrl('delta'))).not.toBe('Only In Gamma')
    expect(await name(mock.url)).not.toBe('Only In Gamma')
    expect(await (await admin('/sessions/delta', '/customers')).json()).toEqual({ overrides: [] })

    const sequence = JSON.stringify({ rules: [{ match: 'seq@example.com', sequence: ['status:503', 'ok'] }] })
    await admin('/sessions/gamma', '/scenarios', { method: 'PUT', body: sequence })
    await admin('/sessions/delta', '/scenarios', { method: 'PUT', body: sequence })
    expect((await fetchAs(sessionUrl('gamma'), 'seq@example.com')).status).toBe(503)
    expect((await fetchAs(sessionUrl('gamma'), 'seq@example.com')).status).toBe(200)
    // delta's counter has not moved
    expect((await fetchAs(sessionUrl('delta'), 'seq@example.com')).status).toBe(503)

    expect((await admin('/sessions/gamma', '/reset', { method: 'POST', body: '{}' })).status).toBe(200)
    expect(await name(sessionUrl('gamma'))).not.toBe('Only In Gamma')
    expect(await journalEmails('/sessions/gamma')).toEqual(['kelly@example.com'])
    // delta still has its rule, counter and journal
    expect((await fetchAs(sessionUrl('delta'), 'seq@example.com')).status).toBe(200)
    expect(await journalEmails('/sessions/delta')).toHaveLength(3)
  })

  it('refuses a bad session id with 400 invalid_session, on both routes', async () => {
    for (const id of ['has.dot', 'x'.repeat(65), '%F0%9F%98%80']) {
      const answer = await admin(`/sessions/${id}`, '/journal')
      expect(answer.status, id).toBe(400)
      expect(await answer.json()).toMatchObject({ error: 'invalid_session', message: expect.stringMatching(/1 to 64 letters, digits, _ or -/) })
      expect((await fetchAs(sessionUrl(id), 'a@example.com')).status, id).toBe(400)
    }
    expect((await admin(`/sessions/${'x'.repeat(64)}`, '/journal')).status).toBe(200)
  })

  it('applies the admin token, Host guard and intent rule under /sessions/<id>/, before any session exists', async () => {
    const guarded = await startMock({ port: 0, secret: SECRET, adminToken: 'a-long-admin-token' })
    try {
      const at = (path: string, init: RequestInit = {}) => fetch(`${guarded.origin}/sessions/s1/__admin${path}`, init)
      const refused = await at('/journal')
      expect(refused.status).toBe(401)
      const rebound = await new Promise<number | undefined>((resolve, reject) => get(`${guarded.origin}/sessions/s1/__admin/journal`, { headers: { host: 'evil.example', authorization: 'Bearer a-long-admin-token' } }, (res) => resolve(res.resume().statusCode)).on('error', reject))
      expect(rebound).toBe(421)
      expect((await at('/reset', { method: 'POST', headers: { authorization: 'Bearer a-long-admin-token', 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415)
      const health = (await (await fetch(`${guarded.origin}/__admin/health`)).json()) as { sessions: { live: number } }
      expect(health.sessions.live).toBe(0)
      expect((await at('/journal', { headers: { authorization: 'Bearer a-long-admin-token' } })).status).toBe(200)
    } finally {
      await guarded.close()
    }
  })

  it('keeps at most maxSessions: the least recently used idle one makes room, and a full house of busy ones is 503', async () => {
    const small = await startMock({ port: 0, secret: SECRET, maxSessions: 2 })
    try {
      const put = (id: string, body: unknown) => fetch(`${small.origin}/sessions/${id}/__admin/scenarios`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify(body) })
      const active = async (id: string) => ((await (await fetch(`${small.origin}/sessions/${id}/__admin/scenarios`)).json()) as { active: { default: string } }).active.default
      await put('one', { default: 'status:501' })
      await put('two', { default: 'status:502' })
      await put('three', { default: 'status:503' }) // evicts one, the least recently used
      expect(await active('two')).toBe('status:502')
      expect(await active('three')).toBe('status:503')
      expect(await active('one')).toBe('ok') // a new session one, which evicted two
      expect(await active('two')).toBe('ok')

      // Both sessions busy: a hung request in each.
      await put('one', { default: 'hang' })
      await put('two', { default: 'hang' })
      const hung = [new AbortController(), new AbortController()]
      const pending = ['one', 'two'].map((id, i) => {
        const request = buildSignedRequest({ url: `${small.origin}/sessions/${id}/`, secret: SECRET, context: context('h@example.com', 'refresh') })
        return fetch(request.url, { headers: request.headers, signal: hung[i]!.signal }).catch(() => 'aborted')
      })
      await expect.poll(async () => ((await (await fetch(`${small.origin}/sessions/one/__admin/journal/count?outcome=pending`)).json()) as { count: number }).count).toBe(1)
      await expect.poll(async () => ((await (await fetch(`${small.origin}/sessions/two/__admin/journal/count?outcome=pending`)).json()) as { count: number }).count).toBe(1)
      const full = await fetch(`${small.origin}/sessions/four/__admin/journal`)
      expect(full.status).toBe(503)
      expect(await full.json()).toMatchObject({ error: 'too_many_sessions', message: expect.stringMatching(/all 2 sessions .*maxSessions/) })
      hung[0]!.abort()
      await Promise.all(pending.slice(0, 1))
      await expect.poll(async () => (await fetch(`${small.origin}/sessions/four/__admin/journal`)).status).toBe(200)
      hung[1]!.abort()
      await Promise.all(pending)
    } finally {
      await small.close()
    }
  })
})

describe('a reloaded data folder', () => {
  it('reaches every live session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-sessions-'))
    cpSync(DEFAULT_DATA_DIR, dir, { recursive: true })
    const reloading = await startMock({ port: 0, secret: SECRET, dataDir: dir })
    try {
      const live = reloading.session('live')
      expect(live.scenarios.active.default).toBe('ok')
      writeFileSync(join(dir, 'scenarios.yaml'), 'default: "status:418"\n')
      expect(reloadMockData(reloading.app.ckitMock)).toEqual({ ok: true })
      expect(live.scenarios.active.default).toBe('status:418')
      expect(reloading.session('later').scenarios.active.default).toBe('status:418')
    } finally {
      await reloading.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('SessionRegistry', () => {
  it('forgets a session idle past idleMs, and validates only ids it does not know', () => {
    let now = 0
    let created = 0
    const registry = new SessionRegistry(3, 1000, (id) => ({ id, n: ++created }), () => now)
    const first = registry.get('a')
    expect(registry.get('a')).toBe(first)
    now = 1000
    expect(registry.get('a')).toBe(first) // used at 0, 1000 ms later: not yet idle past
    now = 2001
    expect(registry.get('a')).not.toBe(first)
    expect(registry.size).toBe(1)
    expect(() => registry.get('no/slash')).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_SESSION' }))
  })
})
