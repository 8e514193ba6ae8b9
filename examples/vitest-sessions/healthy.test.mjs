// This file expects a healthy endpoint: a default scenario that conflicts with the other files'.
import { beforeAll, describe, expect, it } from 'vitest'
import { pause, sessionFor } from './session.mjs'

const session = sessionFor(import.meta.url)
const REQUESTS = 20

beforeAll(async () => {
  await session.reset()
  await session.setScenarios({ default: 'ok' })
})

describe('healthy', () => {
  it('gets its own scenario on every request, while the other files run theirs', async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const answer = await session.fetchCustomer('healthy@example.com')
      expect(answer.status, `request ${i + 1}`).toBe(200)
      await answer.arrayBuffer()
      await pause(50)
    }
  })

  it('finds exactly its own requests in its journal', async () => {
    expect(await session.journalCount()).toBe(REQUESTS)
    expect(await session.journalCount('?email=healthy@example.com')).toBe(REQUESTS)
  })
})
