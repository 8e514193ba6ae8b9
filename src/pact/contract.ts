import type { RequestContext } from '../schema/index.js'

/**
 * What the committed contracts in `contracts/` were recorded with. The secret is public on
 * purpose: `ckit pact verify` recognises a request the contract signed correctly by checking it
 * against this secret, then re-signs it with the provider's own (docs: contracts/README.md).
 */
export const CONTRACT = Object.freeze({
  consumer: 'help-desk',
  provider: 'customer-endpoint',
  messageConsumer: 'webhook-receiver',
  messageProvider: 'help-desk-webhooks',
  secret: 'ckit-contract-secret',
  /** Fixed so the recorded path parameters, and so the pact files, are the same on every run. */
  requestedAt: '2026-01-01T00:00:00.000Z',
  basePath: '/yetto',
  knownEmail: 'kelly@example.com',
  unknownEmail: 'nobody@unknown.invalid',
  challenge: '5f0c3e1a9b7d4c2e8a6f1b3d5c7e9a0b',
})

/** Provider states, as sentences (Pact convention); a provider's state-change handler receives them. */
export const STATES = Object.freeze({
  knownCustomer: `a customer with e-mail ${CONTRACT.knownEmail} exists`,
  unknownCustomer: `no customer has the e-mail ${CONTRACT.unknownEmail}`,
  settingUp: 'the connection is being set up',
  conversationCreated: 'a conversation was created',
  messageCreated: 'a customer wrote a message',
  conversationLabeled: 'a conversation was labeled',
  conversationClosed: 'a conversation was closed',
})

export const contractContext = (email: string): RequestContext => ({
  reason: 'conversation_viewed',
  requested_at: CONTRACT.requestedAt,
  inbox: { slug: 'support' },
  conversation: { id: 'conv_1', title: 'Refund request' },
  requester: { email, name: 'Kelly Customer' },
})
