import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startMock, type MockHandle, type RunningMock } from '../../src/mock/index.js'
import type { RequestContext } from '../../src/schema/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'

const SECRET = 'handle-secret'
let mock: RunningMock

const context = (email: string, reason: RequestContext['reason'] = 'conversation_viewed'): RequestContext => ({ reason, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email } })
/** As the help desk asks: a signed GET of the handle's URL. */
const ask = (handle: MockHandle, email: string, reason?: RequestContext['reason']) => {
  const request = buildSignedRequest({ url: handle.url, secret: SECRET, context: context(email, reason) })
  return fetch(request.url, { headers: request.headers })
}

beforeAll(async () => {
  mock = await startMock({ port: 0, secret: SECRET, seed: 9, budgetMs: 200 })
})
afterAll(async () => {
  await mock.close()
})
beforeEach(() => mock.reset())

describe('mock.journal', () => {
  it('lists and counts what arrived, with the admin API filters', async () => {
    await ask(mock, 'one@example.com')
    await ask(mock, 'two@example.com', 'automation')
    expect(mock.journal.list().map((e) => e.email)).toEqual(['two@example.com', 'one@example.com'])
    expect(mock.journal.count({ reason: 'automation' })).toBe(1)
    expect(mock.journal.list({ email: 'ONE@example.com' })).toMatchObject([{ email: 'one@example.com', outcome: 'answered', status: 200 }])
  })

  it('waitFor resolves when the request arrives, with the matching entries', async () => {
    const waiting = mock.journal.waitFor({ email: 'late@example.com' }, { timeoutMs: 3000 })
    let settled = false
    void waiting.then(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(settled).toBe(false)
    await ask(mock, 'late@example.com')
    expect(await waiting).toMatchObject([{ email: 'late@example.com' }])
  })

  it('waitFor waits for count entries and for their outcome', async () => {
    await mock.scenarios.set({ rules: [{ match: 'slow@example.com', scenario: 'delay:100' }] })
    const answered = mock.journal.waitFor({ email: 'slow@example.com', outcome: 'answered' }, { count: 2, timeoutMs: 3000 })
    await Promise.all([ask(mock, 'slow@example.com'), ask(mock, 'slow@example.com')])
    const entries = await answered
    expect(entries).toHaveLength(2)
    expect(entries.every((e) => e.status === 200)).toBe(true)
  })

  it('waitFor rejects with CKIT_MOCK_WAIT_TIMEOUT after timeoutMs, saying how many arrived', async () => {
    await ask(mock, 'once@example.com')
    const started = performance.now()
    await expect(mock.journal.waitFor({ email: 'once@example.com' }, { count: 2, timeoutMs: 150 })).rejects.toMatchObject({ code: 'CKIT_MOCK_WAIT_TIMEOUT', message: expect.stringMatching(/waited 150 ms for 2 requests matching .*once@example\.com.*; 1 arrived/) })
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    await expect(mock.journal.waitFor({}, { timeoutMs: 0 })).rejects.toMatchObject({ code: 'CKIT_MOCK_INVALID_OPTION' })
    await expect(mock.journal.waitFor({}, { count: 1.5 })).rejects.toMatchObject({ code: 'CKIT_MOCK_INVALID_OPTION' })
  })
})

describe('mock.scenarios and reset', () => {
  it('add returns an id that remove takes back; other rules keep their counters', async () => {
    mock.scenarios.set({ rules: [{ match: 'seq@example.com', sequence: ['status:503', 'ok'] }] })
    expect((await ask(mock, 'seq@example.com')).status).toBe(503)
    const id = mock.scenarios.add({ match: '*@broken.test', scenario: 'status:502' })
    expect(mock.scenarios.active.rules).toHaveLength(2)
    expect((await ask(mock, 'x@broken.test')).status).toBe(502)
    expect((await ask(mock, 'seq@example.com')).status).toBe(200) // its sequence went on
    expect(mock.scenarios.remove(id)).toBe(true)
    expect(mock.scenarios.remove(id)).toBe(false)
    expect((await ask(mock, 'x@broken.test')).status).toBe(200)
    expect(() => mock.scenarios.add({ match: '*@x.test', scenario: 'explode' })).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_UNKNOWN_SCENARIO', message: expect.stringMatching(/scenarios\.add: \/scenario: "explode": unknown scenario/) }))
  })

  it('set replaces the configuration; an invalid one throws with the pointer and changes nothing', async () => {
    mock.scenarios.set({ default: 'status:500' })
    expect((await ask(mock, 'a@example.com')).status).toBe(500)
    expect(() => mock.scenarios.set({ default: 'ok', rules: [{ match: 'a@example.com', scenario: 'nope' }] })).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_UNKNOWN_SCENARIO', message: expect.stringMatching(/\/rules\/0\/scenario/) }))
    expect(mock.scenarios.active.default).toBe('status:500')
  })

  it('reset restores start-up scenarios and forgets the journal and runtime customers, like POST /__admin/reset', async () => {
    mock.scenarios.set({ default: 'status:500' })
    mock.customers.set('kelly@example.com', { customer: { id: 'c_9', name: 'Runtime Kelly' } })
    await ask(mock, 'kelly@example.com')
    mock.reset()
    expect(mock.scenarios.active.default).toBe('ok')
    expect(mock.customers.list()).toEqual([])
    expect(mock.journal.count()).toBe(0)
  })
})

describe('mock.session(id)', () => {
  it('is the same handle scoped to /sessions/<id>/, isolated from the root and other sessions', async () => {
    const a = mock.session('suite-a')
    const b = mock.session('suite-b')
    expect(a.url).toBe(`${mock.origin}/sessions/suite-a/`)
    a.scenarios.set({ default: 'status:503' })
    a.customers.set('kelly@example.com', { customer: { id: 'c_1', name: 'Session Kelly' } })
    expect((await ask(a, 'x@example.com')).status).toBe(503)
    expect((await ask(b, 'x@example.com')).status).toBe(200)
    expect((await ask(mock, 'x@example.com')).status).toBe(200)
    expect(a.journal.count()).toBe(1)
    expect(b.customers.list()).toEqual([])
    // The handle and the session's admin API are one state.
    const overHttp = (await (await fetch(`${mock.origin}/sessions/suite-a/__admin/scenarios`)).json()) as { active: { default: string } }
    expect(overHttp.active.default).toBe('status:503')
    a.reset()
    expect((await ask(a, 'x@example.com')).status).toBe(200)
    expect(() => mock.session('no spaces')).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_SESSION' }))
  })

  it('throws CKIT_MOCK_TOO_MANY_SESSIONS when every session is busy', async () => {
    const one = await startMock({ port: 0, secret: SECRET, maxSessions: 1 })
    try {
      const busy = one.session('busy')
      busy.scenarios.set({ default: 'hang' })
      const request = buildSignedRequest({ url: busy.url, secret: SECRET, context: context('h@example.com') })
      const abort = new AbortController()
      const hanging = fetch(request.url, { headers: request.headers, signal: abort.signal }).catch(() => 'aborted')
      await busy.journal.waitFor({ outcome: 'pending' })
      expect(() => one.session('other')).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_TOO_MANY_SESSIONS' }))
      abort.abort()
      await hanging
      await expect.poll(() => one.session('other').url).toMatch(/\/sessions\/other\/$/)
    } finally {
      await one.close()
    }
  })
})
