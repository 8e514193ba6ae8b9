import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../../src/mock/index.js'
import { STATES, verifyProvider } from '../../../src/pact/index.js'

/** Our own mock, as a provider, against the committed contracts: proof that mock and contract agree. */
describe('the mock verifies against contracts/', () => {
  let mock: RunningMock
  beforeAll(async () => {
    mock = await startMock({ port: 0, secret: 'the-mocks-own-secret', basePath: '/hooks/yetto' })
  })
  afterAll(() => mock.close())

  it('passes every interaction, with a secret the contracts were not recorded with', async () => {
    // The states are the mock's fixed data: kelly@example.com is a fixture, .invalid e-mails are unknown.
    const stateHandlers = Object.fromEntries(Object.values(STATES).map((state) => [state, () => undefined]))
    const result = await verifyProvider({ providerBaseUrl: mock.url, secret: 'the-mocks-own-secret', stateHandlers })
    expect(result.interactions.filter((i) => !i.ok)).toEqual([])
    expect(result.interactions).toHaveLength(5)
    expect(result.ok).toBe(true)
  }, 60_000)
})
