import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'

/** Someone with the admin token (or a loopback admin API without one) sends what a client never would. */
describe('the admin API under hostile input', () => {
  let mock: RunningMock
  beforeAll(async () => {
    mock = await startMock({ port: 0, secret: 'k', runtimeCustomers: 3, runtimeCustomerBytes: 64 * 1024 })
  })
  afterAll(() => mock.close())
  const admin = (path: string, method = 'GET', body?: string, type = 'application/json') =>
    fetch(`${mock.origin}/__admin${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': type } }) })

  it('refuses a 5,000-deep merge patch with 400 too_deep, not a stack overflow', async () => {
    const deep = `${'{"customer":'.repeat(5000)}1${'}'.repeat(5000)}`
    for (const type of ['application/merge-patch+json', 'application/json']) {
      const response = await admin('/customers/deep@example.com', 'PATCH', deep, type)
      expect(response.status, type).toBe(400)
      expect(await response.json()).toMatchObject({ error: 'too_deep', message: expect.stringMatching(/nested deeper than 100 levels/) })
    }
    // The same through PUT, and a body that is not JSON at all: 400, in the admin API's shape.
    expect(await (await admin('/customers/deep@example.com', 'PUT', deep)).json()).toMatchObject({ error: 'too_deep' })
    const broken = await admin('/customers/deep@example.com', 'PATCH', '{"customer":', 'application/merge-patch+json')
    expect(broken.status).toBe(400)
    expect(await broken.json()).toMatchObject({ error: 'invalid_json', message: expect.stringMatching(/^the merge patch is not usable JSON/) })
  })

  it('refuses an already-parsed deep patch from the startMock handle without recursing into it', async () => {
    let patch: unknown = 1
    for (let i = 0; i < 20_000; i++) patch = { customer: patch }
    const result = await mock.customers.patch('deep@example.com', patch)
    expect(result).toEqual({ ok: false, errors: [{ pointer: '', keyword: 'maxDepth', message: expect.stringMatching(/the merge patch is nested deeper than 100 levels/) }] })
    expect(mock.customers.list()).not.toContain('deep@example.com')
  })

  it('decodes the e-mail in the path once: %25 is a percent sign, %2540 is not an @', async () => {
    const odd = await admin('/customers/a%25b@example.com')
    expect(odd.status).toBe(200)
    expect(await odd.json()).toMatchObject({ email: 'a%b@example.com' })
    const put = await admin('/customers/x%2540y@example.com', 'PUT', JSON.stringify({ customer: { id: 'c_1' } }))
    expect(put.status).toBe(200)
    expect(mock.customers.list()).toContain('x%40y@example.com')
    expect(mock.customers.list()).not.toContain('x@y@example.com')
    mock.customers.delete('x%40y@example.com')
  })

  it('holds at most runtimeCustomers e-mails and runtimeCustomerBytes characters: 507 past them, nothing changed', async () => {
    const put = (email: string, customer: Record<string, unknown>) => admin(`/customers/${email}`, 'PUT', JSON.stringify({ customer }))
    for (const n of [1, 2, 3]) expect((await put(`r${n}@example.com`, { id: `c_${n}` })).status).toBe(200)
    const fourth = await put('r4@example.com', { id: 'c_4' })
    expect(fourth.status).toBe(507)
    expect(await fourth.json()).toMatchObject({ error: 'too_many_customers', message: expect.stringMatching(/limited to 3 e-mails/) })
    expect(mock.customers.list()).toEqual(['r1@example.com', 'r2@example.com', 'r3@example.com'])
    // Replacing one is not growth; freeing one makes room.
    expect((await put('r1@example.com', { id: 'c_1b' })).status).toBe(200)
    expect((await admin('/customers/r2@example.com', 'DELETE', '{}')).status).toBe(200)
    expect((await put('r4@example.com', { id: 'c_4' })).status).toBe(200)
    // A single customer can fill the characters too.
    const big = await put('r1@example.com', { id: 'c_big', notes: 'x'.repeat(70 * 1024) })
    expect(big.status).toBe(507)
    expect(() => mock.customers.set('r5@example.com', { customer: { id: 'c_5' } })).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_TOO_MANY_CUSTOMERS' }))
    // Reset forgets them all, and with them the count.
    expect((await admin('/reset', 'POST', '{}')).status).toBe(200)
    for (const n of [1, 2, 3]) expect((await put(`s${n}@example.com`, { id: `c_${n}` })).status).toBe(200)
  })

  it('takes the bounds as options, checked at the door', async () => {
    await expect(startMock({ port: 0, secret: 'k', runtimeCustomers: 0 })).rejects.toMatchObject({ code: 'CKIT_MOCK_INVALID_OPTION', message: expect.stringMatching(/runtimeCustomers/) })
    await expect(startMock({ port: 0, secret: 'k', runtimeCustomerBytes: 10 })).rejects.toMatchObject({ code: 'CKIT_MOCK_INVALID_OPTION' })
  })
})
