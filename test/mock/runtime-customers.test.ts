import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mergePatch, startMock, type RunningMock } from '../../src/mock/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'

/** Changing what the mock serves while it runs: admin API and the startMock handle. */
let mock: RunningMock
beforeAll(async () => {
  mock = await startMock({ port: 0, secret: 's3cret', adminToken: 'admin-token-xyz' })
})
afterAll(() => mock.close())

const admin = (path: string, init: RequestInit = {}) => fetch(`${mock.origin}/__admin${path}`, { ...init, headers: { authorization: 'Bearer admin-token-xyz', ...(init.headers ?? {}) } })
const served = async (email: string) => {
  const request = buildSignedRequest({ url: mock.url, secret: 's3cret', context: { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email } } })
  return (await (await fetch(request.url, { headers: request.headers })).json()) as { customer: Record<string, unknown>; sections: unknown[] }
}
const json = (method: string, body: unknown, type = 'application/json') => ({ method, headers: { 'content-type': type }, body: JSON.stringify(body) })

describe('runtime customers', () => {
  it('PUT serves a customer at once, GET says where it comes from, DELETE returns to the file customer', async () => {
    expect(await (await admin('/customers/kelly@example.com')).json()).toMatchObject({ origin: 'fixed' })
    const put = await admin('/customers/Kelly@Example.com', json('PUT', { customer: { id: 'vip_1', name: 'Kelly VIP', plan_type: 'Enterprise' } }))
    expect(put.status).toBe(200)
    expect((await served('kelly@example.com')).customer).toMatchObject({ id: 'vip_1', name: 'Kelly VIP' })
    expect(await (await admin('/customers/kelly@example.com')).json()).toMatchObject({ origin: 'runtime', response: { customer: { id: 'vip_1' } } })
    expect(await (await admin('/customers')).json()).toEqual({ overrides: ['kelly@example.com'] })
    expect(await (await admin('/customers/kelly@example.com', { method: 'DELETE', headers: { 'x-ckit-admin': '1' } })).json()).toMatchObject({ removed: true, origin: 'fixed' })
    expect((await served('kelly@example.com')).customer).toMatchObject({ id: expect.not.stringMatching(/^vip_/) })
  })

  it('refuses an invalid document with pointers and keeps the old data', async () => {
    await admin('/customers/a@example.com', json('PUT', { customer: { id: 'a_1' } }))
    const bad = await admin('/customers/a@example.com', json('PUT', { customer: 'not an object', sections: [{ type: 'link', title: 'x' }] }))
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: 'invalid_customer', errors: expect.arrayContaining([expect.objectContaining({ pointer: '/customer' }), expect.objectContaining({ pointer: '/sections/0/href' })]) })
    expect((await served('a@example.com')).customer).toEqual({ id: 'a_1' })
  })

  it('PATCH merges a JSON Merge Patch into what is served, generated customers included', async () => {
    const before = (await served('someone@example.org')).customer
    const patched = await admin('/customers/someone@example.org', json('PATCH', { customer: { plan_type: 'Free', tags: null } }, 'application/merge-patch+json'))
    expect(patched.status).toBe(200)
    const after = (await served('someone@example.org')).customer
    const { tags: _removed, ...kept } = before
    expect(after).toEqual({ ...kept, plan_type: 'Free' })
    expect(mergePatch({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: null, e: 3 }, d: [2] })).toEqual({ a: { c: 2, e: 3 }, d: [2] })
  })

  it('is journaled, cleared by reset, covered by the admin token, and available on the startMock handle', async () => {
    await admin('/customers/b@example.com', json('PUT', { customer: { id: 'b_1' } }))
    const journal = (await (await admin('/journal?email=b@example.com')).json()) as { entries: { note: string }[] }
    expect(journal.entries[0]!.note).toBe('runtime customer set')
    expect((await fetch(`${mock.origin}/__admin/customers`)).status).toBe(401)
    await admin('/reset', { method: 'POST', headers: { 'x-ckit-admin': '1' } })
    expect(mock.customers.list()).toEqual([])
    expect(mock.customers.set('c@example.com', { customer: { id: 'c_1' } })).toMatchObject({ ok: true })
    expect((await served('c@example.com')).customer).toEqual({ id: 'c_1' })
    expect(mock.customers.set('c@example.com', { customer: [] as never })).toMatchObject({ ok: false, errors: [expect.objectContaining({ pointer: '/customer' })] })
  })
})
