import { MessageProviderPact, providerWithMetadata } from '@pact-foundation/pact'
import { describe, expect, it } from 'vitest'
import { CONTRACT, STATES } from '../../../src/pact/index.js'
import { SCHEMES, webhookStory } from '../../../src/webhooks/index.js'

/**
 * The help desk's side of the webhook pacts: the payload factory (webhookStory) and the signer,
 * verified against what webhook-receiver needs, metadata (event name, content type) included.
 */
describe('help-desk-webhooks verifies as message provider', () => {
  it('every event the receiver relies on comes from the story with the right metadata', async () => {
    const story = await webhookStory(1)
    const first = (event: string) => story.find((s) => s.event === event)!
    const message = (event: string) =>
      providerWithMetadata(() => {
        const { payload } = first(event)
        // What goes on the wire is signed: the signer must accept the factory's output.
        const body = JSON.stringify(payload)
        expect(SCHEMES.yetto.headers(CONTRACT.secret, { id: 'd', event, body, timestamp: 1 })['X_YETTO_SIGNATURE']).toMatch(/^sha256=[0-9a-f]{64}$/)
        return payload
      }, { event, contentType: 'application/json' })
    const provider = new MessageProviderPact({
      provider: CONTRACT.messageProvider,
      pactUrls: [new URL(`../../../contracts/${CONTRACT.messageConsumer}-${CONTRACT.messageProvider}.json`, import.meta.url).pathname],
      logLevel: 'error',
      messageProviders: Object.fromEntries(['conversation.created', 'message.created', 'conversation.labeled', 'conversation.closed'].map((event) => [`a ${event} delivery`, message(event)])),
      stateHandlers: Object.fromEntries([STATES.conversationCreated, STATES.messageCreated, STATES.conversationLabeled, STATES.conversationClosed].map((state) => [state, async () => undefined])),
    })
    await expect(provider.verify()).resolves.toBeDefined()
  }, 60_000)
})
