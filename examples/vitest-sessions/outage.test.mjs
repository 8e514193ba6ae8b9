// Every request in this file meets an outage: a default scenario that conflicts with the other files'.
import { beforeAll, describe, expect, it } from 'vitest'
import { pause, sessionFor } from './session.mjs'

const session = sessionFor(import.meta.url)
const REQUESTS = 20

beforeAll(async () => {
  await session.reset()
  await session.setScenarios({ default: 'status:503' })
})

describe('outage', () => {
  it('gets its own scenario on every request, while the other files run theirs', async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const answer = await session.fetchCustomer('outage@example.com')
      expect(answer.status, `request ${i + 1}`).toBe(503)
      await answer.arrayBuffer()
      await pause(50)
    }
  })

  it('finds exactly its own requests in its journal', async () => {
    expect(await session.journalCount()).toBe(REQUESTS)
    expect(await session.journalCount('?email=outage@example.com')).toBe(REQUESTS)
  })
})
