import { describe, expect, it } from 'vitest'
import { CustomerSource, identitySeed } from '../../src/mock/customers.js'
import { loadMockData } from '../../src/mock/index.js'
import { render } from '../../src/render/index.js'
import { validate } from '../../src/schema/index.js'

const data = loadMockData()

describe('generated customers', () => {
  it('are schema-valid and render without warnings for 1,000 identities', async () => {
    const source = new CustomerSource(data, { seed: 7, cacheEntries: 10, cacheBytes: 1024 * 1024 })
    for (let i = 0; i < 1000; i++) {
      const email = `person.${i}@customers-${i % 37}.example`
      const { response, body } = await source.responseFor(email)
      const checked = validate('response', JSON.parse(body), { strict: true })
      expect(checked.errors, email).toEqual([])
      // The body is built around the sections serialised once: the same text JSON.stringify gives.
      expect(body).toBe(JSON.stringify({ version: '2024-03-06', customer: response.customer, sections: data.sections }))
      const rendered = render(response, { strict: true })
      expect(rendered.errors, email).toEqual([])
      expect(rendered.warnings, email).toEqual([])
      expect(rendered.sections).toHaveLength(data.sections.length)
    }
  })

  it('are the same for the same (seed, e-mail), across instances, and differ across e-mails and seeds', async () => {
    const a = new CustomerSource(data, { seed: 42, cacheEntries: 1, cacheBytes: 1024 * 1024 })
    const b = new CustomerSource(data, { seed: 42, cacheEntries: 1, cacheBytes: 1024 * 1024 })
    const other = new CustomerSource(data, { seed: 43, cacheEntries: 1, cacheBytes: 1024 * 1024 })
    const first = (await a.responseFor('dana@acme.example')).body
    await a.responseFor('someone@else.example') // evicts dana from a's one-entry cache: regenerated next time
    expect((await a.responseFor('dana@acme.example')).body).toBe(first)
    expect((await b.responseFor('DANA@acme.example')).body).toBe(first)
    expect((await a.responseFor('dane@acme.example')).body).not.toBe(first)
    expect((await other.responseFor('dana@acme.example')).body).not.toBe(first)
    const names = new Set<string>()
    for (let i = 0; i < 50; i++) names.add(((await a.customerFor(`u${i}@x.example`)).customer as { name: string }).name)
    expect(names.size).toBeGreaterThan(45)
  })

  it('differ for every seed: seeds 0–1000 give 1,001 different customers for one e-mail', async () => {
    const bodies = new Set<string>()
    const identities = new Set<number>()
    for (let seed = 0; seed <= 1000; seed++) {
      identities.add(identitySeed(seed, 'dana@acme.example'))
      bodies.add(JSON.stringify((await new CustomerSource(data, { seed, cacheEntries: 1, cacheBytes: 1024 * 1024 }).customerFor('dana@acme.example')).customer))
    }
    expect(identities.size).toBe(1001)
    expect(bodies.size).toBe(1001)
  })

  it('are regenerated the same when the cache, bounded by size, has let them go', async () => {
    // ~2 KB per response: a 4 KiB cache holds at most two of them, whatever cacheEntries says.
    const small = new CustomerSource(data, { seed: 42, cacheEntries: 10_000, cacheBytes: 4096 })
    const first = (await small.responseFor('dana@acme.example')).body
    expect(first.length).toBeGreaterThan(1024)
    for (let i = 0; i < 5; i++) await small.responseFor(`other-${i}@acme.example`)
    expect(small.cached.chars).toBeLessThanOrEqual(4096)
    expect(small.cached.entries).toBeLessThanOrEqual(2)
    const again = await small.responseFor('dana@acme.example')
    expect(again.body).toBe(first)
    expect(again.response).toEqual(JSON.parse(first))
  })

  it('look real: Stripe-style ids, names, nested organization, the requester e-mail, dates not in the future', async () => {
    const { customer } = await new CustomerSource(data, { seed: 1, cacheEntries: 1, cacheBytes: 1024 * 1024 }).customerFor('Robin@Shop.example')
    expect(customer).toMatchObject({
      id: expect.stringMatching(/^customer_\d{6}$/),
      stripe_id: expect.stringMatching(/^cus_[A-Za-z0-9]{14}$/),
      name: expect.stringMatching(/^\S+.* \S+/),
      email: 'robin@shop.example',
      organization: { id: expect.stringMatching(/^org_\d{6}$/), name: expect.any(String), role: expect.stringMatching(/^(admin|member|billing)$/) },
    })
    expect(Date.parse(customer['created_at'] as string)).toBeLessThanOrEqual(Date.parse('2026-01-01T00:00:00Z'))
  })

  it('serves a runtime customer with its own sections, and the shared ones again once it is deleted', async () => {
    const source = new CustomerSource(data, { seed: 1, cacheEntries: 5, cacheBytes: 1024 * 1024 })
    const customer = { id: 'c1', name: 'Runtime Person' }
    const sections = [{ type: 'link', title: 'Own section', href: 'https://example.com/c1' }] as const
    expect(source.set('rt@example.com', { customer, sections: [...sections] })).toMatchObject({ ok: true })
    expect((await source.responseFor('rt@example.com')).body).toBe(JSON.stringify({ version: '2024-03-06', customer, sections }))
    source.delete('rt@example.com')
    expect(JSON.parse((await source.responseFor('rt@example.com')).body)).toMatchObject({ customer: { email: 'rt@example.com' }, sections: data.sections })
  })

  it('serves fixed customers by e-mail, case-insensitively', async () => {
    const source = new CustomerSource(data, { seed: 1, cacheEntries: 5, cacheBytes: 1024 * 1024 })
    expect(await source.responseFor('Kelly@Example.com')).toMatchObject({ source: 'fixed', response: { customer: { name: 'Kelly Customer' } } })
  })
})
