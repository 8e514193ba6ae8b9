import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CustomerPanel, requestCustomerData } from '../../src/client/index.js'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { cli } from '../helpers.js'

/** docs/protocol.md: an unknown customer is 404 {"error": "customer_not_found"}, its own outcome. */
describe('an unknown customer', () => {
  let mock: RunningMock
  beforeAll(async () => {
    mock = await startMock({ port: 0 })
  })
  afterAll(() => mock.close())
  const context = (email: string) => ({ reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email } })

  it('the mock answers 404 customer_not_found for the reserved .invalid domain, and the client reports not_found', async () => {
    const result = await requestCustomerData({ url: mock.url, secret: mock.secret }, context('nobody@unknown.invalid'))
    expect(result).toMatchObject({ ok: false, error: { kind: 'not_found', status: 404, message: 'no customer record for nobody@unknown.invalid' } })
  })

  it('the panel shows it as its own state: no error card, no earlier data', async () => {
    const panel = new CustomerPanel({ url: mock.url, secret: mock.secret }, { inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'nobody@unknown.invalid' } })
    expect(await panel.open()).toMatchObject({ status: 'not_found', message: 'no customer record for nobody@unknown.invalid' })
    expect(panel.html()).toContain('No customer record for nobody@unknown.invalid.')
    expect(panel.html()).not.toContain('ckit-error')
  })

  it('a 404 without that body stays an http_status failure; ckit fetch exits 11 for not_found', async () => {
    const other = await requestCustomerData({ url: mock.url, secret: mock.secret }, context('kelly@example.com'), { headers: { 'X-Mock-Scenario': 'status:404' } })
    expect(other).toMatchObject({ ok: false, error: { kind: 'http_status', status: 404 } })
    const run = await cli(['fetch', mock.url, '--secret', mock.secret, '--email', 'nobody@unknown.invalid'])
    expect(run.code).toBe(11)
    expect(run.stderr).toMatch(/not_found: no customer record for nobody@unknown.invalid/)
  })
})
