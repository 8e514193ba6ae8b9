import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestCustomerData } from '../../src/client/index.js'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import type { RequestContext } from '../../src/schema/index.js'

const SECRET = 'rules-secret'
const context = (email: string, reason: RequestContext['reason'] = 'conversation_viewed'): RequestContext => ({
  reason,
  requested_at: new Date().toISOString(),
  inbox: { slug: 'support' },
  conversation: { id: 'conv_1' },
  requester: { email },
})

let mock: RunningMock
const fetchAs = (target: RunningMock, email: string, reason?: RequestContext['reason']) => requestCustomerData({ url: target.url, secret: SECRET }, context(email, reason), { timeoutMs: 10_000 })
const admin = (path: string, init: { method?: string; body?: unknown } = {}, target = mock) =>
  fetch(`${target.origin}/__admin${path}`, init.body === undefined ? { method: init.method ?? 'GET', headers: { 'x-ckit-admin': '1' } } : { method: init.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) })

beforeAll(async () => {
  mock = await startMock({ port: 0, secret: SECRET, seed: 3, budgetMs: 300 })
})
afterAll(async () => {
  await mock.close()
})

describe('POST /__admin/scenarios/rules and DELETE /__admin/scenarios/rules/<id>', () => {
  it('add a rule that the next request meets, list it with its id, and remove it again', async () => {
    const before = await fetchAs(mock, 'single-rule@example.com')
    expect(before.ok).toBe(true)
    const added = await admin('/scenarios/rules', { method: 'POST', body: { match: 'single-rule@example.com', scenario: 'status:503' } })
    expect(added.status).toBe(200)
    const { id } = (await added.json()) as { id: string }
    const during = await fetchAs(mock, 'single-rule@example.com')
    expect(during).toMatchObject({ ok: false, error: { kind: 'http_status', status: 503 } })
    const listed = (await (await admin('/scenarios')).json()) as { active: { rules: { id: string; match?: string }[] } }
    expect(listed.active.rules[0]).toEqual({ id, match: 'single-rule@example.com', scenario: 'status:503' })
    expect(listed.active.rules.length).toBeGreaterThan(1)

    const removed = await admin(`/scenarios/rules/${id}`, { method: 'DELETE' })
    expect(await removed.json()).toEqual({ removed: id })
    expect((await fetchAs(mock, 'single-rule@example.com')).ok).toBe(true)
    const again = await admin(`/scenarios/rules/${id}`, { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect(await again.json()).toMatchObject({ error: 'unknown_rule', message: expect.stringContaining(id) })
  })

  it('a reason-only rule fails the automation fetches and nothing else', async () => {
    const { id } = (await (await admin('/scenarios/rules', { method: 'POST', body: { reason: 'automation', scenario: 'status:500' } })).json()) as { id: string }
    try {
      expect(await fetchAs(mock, 'reason@example.com', 'automation')).toMatchObject({ ok: false, error: { kind: 'http_status', status: 500 } })
      expect((await fetchAs(mock, 'reason@example.com', 'conversation_viewed')).ok).toBe(true)
      expect((await fetchAs(mock, 'reason@example.com', 'refresh')).ok).toBe(true)
      const journal = (await (await admin('/journal?email=reason@example.com&reason=automation')).json()) as { entries: { scenarioSource: string; status: number }[] }
      expect(journal.entries[0]).toMatchObject({ scenarioSource: 'rule:reason=automation', status: 500 })
    } finally {
      await admin(`/scenarios/rules/${id}`, { method: 'DELETE' })
    }
  })

  it('refuse a bad rule with 400 and the pointers a rule of PUT /__admin/scenarios gets, changing nothing', async () => {
    const before = await (await admin('/scenarios')).json()
    const refused = await admin('/scenarios/rules', { method: 'POST', body: { match: 7, reason: 'cron', scenario: 'delay:uniform:9:1', colour: 'red' } })
    expect(refused.status).toBe(400)
    const body = (await refused.json()) as { error: string; errors: { pointer: string; message: string }[] }
    expect(body.error).toBe('invalid_rule')
    expect(body.errors.map((e) => e.pointer).sort()).toEqual(['/colour', '/match', '/reason', '/scenario'])
    const asFull = (await (await admin('/scenarios', { method: 'PUT', body: { rules: [{ match: 7, reason: 'cron', scenario: 'delay:uniform:9:1', colour: 'red' }] } })).json()) as { errors: { pointer: string; message: string }[] }
    expect(asFull.errors.map((e) => ({ ...e, pointer: e.pointer.replace('/rules/0', '') }))).toEqual(body.errors)
    expect((await admin('/scenarios/rules', { method: 'POST', body: [] })).status).toBe(400)
    expect(await (await admin('/scenarios')).json()).toEqual(before)
  })
})

describe('latency distributions over HTTP', () => {
  /** The delays a mock with this seed draws for six requests, as its journal records them. */
  const delays = async (seed: number) => {
    const seeded = await startMock({ port: 0, secret: SECRET, seed, scenario: 'delay:uniform:20:120' })
    try {
      for (let i = 0; i < 6; i++) expect((await fetchAs(seeded, `latency-${i % 2}@example.com`)).ok).toBe(true)
      const { entries } = (await (await admin('/journal', {}, seeded)).json()) as { entries: { scenario: string; latencyMs: number }[] }
      return entries.reverse().map((e) => {
        const ms = Number(/^delay:uniform:20:120 \((\d+) ms\)$/.exec(e.scenario)?.[1])
        // The drawn delay is the one applied: the response took at least that long.
        expect(e.latencyMs).toBeGreaterThanOrEqual(ms - 1)
        return ms
      })
    } finally {
      await seeded.close()
    }
  }

  it('the same seed gives the same delays, another seed other ones', async () => {
    const first = await delays(11)
    expect(first).toHaveLength(6)
    for (const ms of first) expect(ms >= 20 && ms <= 120).toBe(true)
    expect(await delays(11)).toEqual(first)
    expect(await delays(12)).not.toEqual(first)
  })
})
