// This file's endpoint fails twice, then recovers: a sequence rule whose counter only this
// file's requests move, while the other files set conflicting default scenarios.
import { beforeAll, describe, expect, it } from 'vitest'
import { pause, sessionFor } from './session.mjs'

const session = sessionFor(import.meta.url)
const EMAIL = 'server-errors@example.com'
const ROUNDS = 20

beforeAll(async () => {
  await session.reset()
  await session.setScenarios({ default: 'status:500', rules: [{ match: EMAIL, sequence: ['status:500', 'status:500', 'ok'] }] })
})

describe('server-errors', () => {
  it('sees two failures, then answers for the rest of the run', async () => {
    const statuses = []
    for (let round = 0; round < ROUNDS; round++) {
      const answer = await session.fetchCustomer(EMAIL)
      statuses.push(answer.status)
      await answer.arrayBuffer()
      await pause(50)
    }
    expect(statuses).toEqual([500, 500, ...Array(ROUNDS - 2).fill(200)])
  })

  it('finds exactly its own requests in its journal', async () => {
    expect(await session.journalCount(`?email=${EMAIL}`)).toBe(ROUNDS)
    expect(await session.journalCount()).toBe(ROUNDS)
  })
})
