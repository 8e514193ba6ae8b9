// This file expects a healthy endpoint serving a customer it sets itself, while the others set
// outages: neither their default scenarios nor their resets reach it.
import { beforeAll, describe, expect, it } from 'vitest'
import { pause, sessionFor } from './session.mjs'

const session = sessionFor(import.meta.url)
const EMAIL = 'healthy@example.com'
const ROUNDS = 20

beforeAll(async () => {
  await session.reset()
  await session.setScenarios({ default: 'ok' })
  await session.admin(`/customers/${EMAIL}`, { method: 'PUT', body: JSON.stringify({ customer: { id: 'cus_42', name: 'Only In This File' } }) })
})

describe('healthy', () => {
  it('is served its own runtime customer on every request', async () => {
    const names = []
    for (let round = 0; round < ROUNDS; round++) {
      const answer = await session.fetchCustomer(EMAIL)
      names.push(answer.ok ? (await answer.json()).customer.name : `HTTP ${answer.status}`)
      await pause(50)
    }
    expect(new Set(names)).toEqual(new Set(['Only In This File']))
  })

  it('finds exactly its own requests in its journal', async () => {
    expect(await session.journalCount(`?email=${EMAIL}&reason=conversation_viewed`)).toBe(ROUNDS)
    expect(await session.journalCount()).toBe(ROUNDS + 1) // and the runtime customer it set
  })
})
