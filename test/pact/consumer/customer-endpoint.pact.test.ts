import { MatchersV3, PactV4 } from '@pact-foundation/pact'
import { afterAll, describe, expect, it } from 'vitest'
import { requestCustomerData, testConnection } from '../../../src/client/index.js'
import { CONTRACT, contractContext, LINK_HREF_MATCHER, STATES } from '../../../src/pact/index.js'
import { buildSignedRequest, encodeContext } from '../../../src/signature/index.js'
import { expectNoDrift, pactDir } from '../dir.js'

const { arrayContaining, like, eachLike, regex } = MatchersV3

/**
 * The help desk (consumer) and a customer endpoint (provider). Matchers come from the contract's
 * rules — the version string, link/list section types, signed paths — not copied literals, so any
 * correct endpoint passes, not only ours.
 */
const pact = new PactV4({ consumer: CONTRACT.consumer, provider: CONTRACT.provider, dir: pactDir(), logLevel: 'error' })
const PATH = `^${CONTRACT.basePath}/[A-Za-z0-9_-]+=?=?$`
const SIGNATURE = '^sha256=[0-9a-f]{64}$'
const signed = (email: string) => buildSignedRequest({ url: `http://127.0.0.1${CONTRACT.basePath}`, secret: CONTRACT.secret, context: contractContext(email) })

describe('help-desk → customer-endpoint (HTTP)', () => {
  it('a known customer: a 2024-03-06 response with customer data and link/list sections', async () => {
    const request = signed(CONTRACT.knownEmail)
    await pact
      .addInteraction()
      .given(STATES.knownCustomer)
      .uponReceiving('a signed request for a known customer')
      .withRequest('GET', regex(PATH, new URL(request.url).pathname), (b) => b.headers({ X_YETTO_SIGNATURE: regex(SIGNATURE, request.signature) }))
      .willRespondWith(200, (b) =>
        b.jsonBody({
          version: regex('^2024-03-06$', '2024-03-06'),
          customer: like({ id: 'customer_12345', name: 'Kelly Customer' }),
          // The state's sidebar has at least one link and one list section (more of either may follow).
          // arrayContaining only asks that *one* link matches: the verifier's proxy checks every
          // link's href with the same pattern (src/pact/answer.ts), as the schema and render do.
          sections: arrayContaining(
            { type: 'link', title: like('Stripe'), href: regex(LINK_HREF_MATCHER, 'https://dashboard.stripe.com/customers/{{ data.customer.id }}') },
            { type: 'list', title: like('Account'), items: eachLike({ description: like('Plan'), value: like('{{ data.customer.plan_type }}') }) },
          ),
        }),
      )
      .executeTest(async (server) => {
        // Arrange / act: the reference client, as the help desk asks when a conversation opens.
        const result = await requestCustomerData({ url: `${server.url}${CONTRACT.basePath}`, secret: CONTRACT.secret }, contractContext(CONTRACT.knownEmail))
        // Assert: valid against the schema and displayable.
        expect(result.ok).toBe(true)
      })
  })

  it('an unknown customer: 404 customer_not_found, reported as not_found', async () => {
    const request = signed(CONTRACT.unknownEmail)
    await pact
      .addInteraction()
      .given(STATES.unknownCustomer)
      .uponReceiving('a signed request for an unknown customer')
      .withRequest('GET', regex(PATH, new URL(request.url).pathname), (b) => b.headers({ X_YETTO_SIGNATURE: regex(SIGNATURE, request.signature) }))
      .willRespondWith(404, (b) => b.jsonBody({ error: 'customer_not_found' }))
      .executeTest(async (server) => {
        const result = await requestCustomerData({ url: `${server.url}${CONTRACT.basePath}`, secret: CONTRACT.secret }, contractContext(CONTRACT.unknownEmail))
        expect(result).toMatchObject({ ok: false, error: { kind: 'not_found' } })
      })
  })

  it('the set-up challenge is echoed', async () => {
    const context = { reason: 'challenge' as const, requested_at: CONTRACT.requestedAt, inbox: { slug: 'connection-test' }, challenge: CONTRACT.challenge }
    const request = buildSignedRequest({ url: `http://127.0.0.1${CONTRACT.basePath}`, secret: CONTRACT.secret, context })
    await pact
      .addInteraction()
      .given(STATES.settingUp)
      .uponReceiving('a signed set-up challenge')
      .withRequest('GET', `${CONTRACT.basePath}/${encodeContext(context)}`, (b) => b.headers({ X_YETTO_SIGNATURE: request.signature }))
      .willRespondWith(200, (b) => b.jsonBody({ challenge: CONTRACT.challenge }))
      .executeTest(async (server) => {
        const result = await testConnection({ url: `${server.url}${CONTRACT.basePath}`, secret: CONTRACT.secret }, { challenge: CONTRACT.challenge, inbox: 'connection-test', now: () => new Date(CONTRACT.requestedAt) })
        expect(result.ok).toBe(true)
      })
  })

  it.each([
    ['an unsigned request', undefined],
    ['a wrongly signed request', `sha256=${'0'.repeat(64)}`],
  ])('%s is refused with 401', async (description, header) => {
    const request = signed(CONTRACT.knownEmail)
    await pact
      .addInteraction()
      .given(STATES.knownCustomer)
      .uponReceiving(description)
      .withRequest('GET', new URL(request.url).pathname, (b) => (header ? b.headers({ X_YETTO_SIGNATURE: header }) : b))
      .willRespondWith(401)
      .executeTest(async (server) => {
        const answer = await fetch(`${server.url}${new URL(request.url).pathname}`, { headers: header ? { X_YETTO_SIGNATURE: header } : {} })
        expect(answer.status).toBe(401)
      })
  })
})

afterAll(() => expectNoDrift('help-desk-customer-endpoint.json'))
