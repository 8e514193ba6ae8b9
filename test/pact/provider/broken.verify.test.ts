import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { STATES, verifyProvider } from '../../../src/pact/index.js'
import { parseSignedRequest } from '../../../src/signature/index.js'

/** Endpoints that each get one thing wrong; verification must fail on the interaction that names it. */
type Fault = 'none' | 'wrong-version' | 'missing-title' | 'accepts-unsigned' | 'no-challenge-echo'
const SECRET = 'builder-secret'
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve))
})

async function endpoint(fault: Fault): Promise<string> {
  const server = createServer((req, res) => {
    const result = parseSignedRequest({ path: req.url ?? '/', headers: req.headers, secret: SECRET })
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (!result.ok && !(fault === 'accepts-unsigned' && result.status === 401)) return json(result.status, { error: result.reason })
    const context = result.ok ? result.context : undefined
    if (context?.reason === 'challenge') return json(200, { challenge: fault === 'no-challenge-echo' ? 'something else' : context.challenge })
    if (context?.requester?.email.endsWith('.invalid')) return json(404, { error: 'customer_not_found' })
    json(200, {
      version: fault === 'wrong-version' ? '2023-01-01' : '2024-03-06',
      customer: { id: 'c_1', name: 'Kelly' },
      sections: [
        { type: 'link', title: 'CRM', href: 'https://crm.example.com/c/{{ data.customer.id }}' },
        fault === 'missing-title' ? { type: 'list', items: [{ description: 'Plan', value: 'Pro' }] } : { type: 'list', title: 'Account', items: [{ description: 'Plan', value: 'Pro' }] },
      ],
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/yetto`
}

const stateHandlers = Object.fromEntries(Object.values(STATES).map((state) => [state, () => undefined]))
const failing = async (fault: Fault) => (await verifyProvider({ providerBaseUrl: await endpoint(fault), secret: SECRET, stateHandlers })).interactions.filter((i) => !i.ok)

describe('verification names the fault of a broken provider', () => {
  it('a correct endpoint written from the docs passes, with its own secret', async () => {
    expect(await failing('none')).toEqual([])
  }, 30_000)

  it.each([
    ['wrong-version', 'a signed request for a known customer', /\$\.version/],
    ['missing-title', 'a signed request for a known customer', /\$\.sections/],
    ['accepts-unsigned', 'an unsigned request', /expected 401 but was 200/],
    ['no-challenge-echo', 'a signed set-up challenge', /\$\.challenge/],
  ] as const)('%s fails "%s"', async (fault, interaction, detail) => {
    const failed = await failing(fault)
    expect(failed.map((i) => i.description)).toContain(interaction)
    expect(failed.find((i) => i.description === interaction)!.mismatches.join('\n')).toMatch(detail)
  }, 30_000)
})

describe('verifyProvider misuse', () => {
  it('throws typed errors for a bad URL, missing contracts and an unreachable provider', async () => {
    await expect(verifyProvider({ providerBaseUrl: 'not a url', secret: SECRET })).rejects.toMatchObject({ code: 'CKIT_PACT_INVALID_OPTION' })
    await expect(verifyProvider({ providerBaseUrl: 'http://127.0.0.1:9/', secret: SECRET, contracts: ['/nonexistent'] })).rejects.toMatchObject({ code: 'CKIT_PACT_INVALID_OPTION' })
    await expect(verifyProvider({ providerBaseUrl: 'http://127.0.0.1:9/', secret: SECRET })).rejects.toMatchObject({ code: 'CKIT_PACT_PROVIDER_UNREACHABLE', errorClass: 'remote' })
    await expect(verifyProvider({ providerBaseUrl: 'http://127.0.0.1:9/', secret: '' })).rejects.toMatchObject({ code: 'CKIT_SIG_MISSING_SECRET' })
  })
})
