import { MatchersV3, PactV4 } from '@pact-foundation/pact'
import { afterAll, describe, expect, it } from 'vitest'
import { CONTRACT, STATES } from '../../../src/pact/index.js'
import { eventCatalogue, getRegistry } from '../../../src/schema/index.js'
import { resolveReceiverOptions, SCHEMES, verifyDelivery } from '../../../src/webhooks/index.js'
import { expectNoDrift, pactDir } from '../dir.js'

const { like, eachLike, regex } = MatchersV3

/**
 * What a webhook receiver needs from the help desk's deliveries, for every event: the envelope and
 * the event's object with the fields it acts on (the schema's required ones). The consumer's
 * handler is the reference receiver: the message is signed as the help desk signs it and must pass
 * verifyDelivery.
 */
const pact = new PactV4({ consumer: CONTRACT.messageConsumer, provider: CONTRACT.messageProvider, dir: pactDir(), logLevel: 'error' })
const receiver = resolveReceiverOptions({ secret: CONTRACT.secret })

const conversation = (event: string) => ({
  id: like('conv_1'),
  inbox: like({ id: 'inbox_1' }),
  title: like('Refund request'),
  state: regex('^(open|closed)$', event === 'conversation.closed' || event === 'conversation.destroyed' ? 'closed' : 'open'),
  html_url: regex('^https?://\\S+$', 'https://acme.yetto.app/conversations/conv_1'),
  // Always there, [] when none; a labeled conversation has one, an assigned one an assignee.
  labels: event === 'conversation.labeled' ? eachLike('billing') : like([]),
  ...(event === 'conversation.assigned' ? { assignees: eachLike('kelly') } : {}),
})

// Exactly one creator (or installation target) is present; Pact has no "one of these keys", so the
// interactions are for the member-written message and the plug installed on an inbox, and their
// provider states say so.
const message = () => ({
  id: like('msg_1'),
  conversation: like({ id: 'conv_1' }),
  author: like({ name: 'Kelly Customer' }),
  visibility: regex('^(public|internal)$', 'public'),
  text_content: like('My refund has not arrived.'),
  created_by_membership: like({ id: 'mem_1' }),
})

const OBJECTS: Record<string, (event: string) => Record<string, unknown>> = {
  conversation,
  message,
  inbox: () => ({ id: like('inbox_1'), name: like('Support'), slug: like('support') }),
  organization: () => ({ id: like('org_1'), name: like('Acme'), slug: like('acme'), status: regex('^(active|inactive|suspended)$', 'active') }),
  plug_installation: () => ({ id: like('pi_1'), plug: like({ id: 'plug_1' }), installed_on_inbox: like({ id: 'inbox_1' }) }),
}

// States recorded before every event was covered keep their sentences, the variants above say which
// one; the others say what the event catalogue says.
const KNOWN_STATES: Record<string, string> = {
  'conversation.created': STATES.conversationCreated,
  'message.created': STATES.messageCreated,
  'conversation.labeled': STATES.conversationLabeled,
  'conversation.closed': STATES.conversationClosed,
  'message.updated': 'a message a member wrote was updated',
  'message.destroyed': 'a message a member wrote was deleted',
  'plug_installation.created': 'a plug was installed on an inbox',
  'plug_installation.updated': 'a plug installation on an inbox was updated',
  'plug_installation.destroyed': 'a plug installation on an inbox was deleted',
}
const catalogueDescriptions = new Map(
  ((getRegistry().rootSchema('event-name') as { anyOf: { const: string; description: string }[] }).anyOf).map((entry) => [entry.const, entry.description]),
)
const stateOf = (event: string): string => {
  const known = KNOWN_STATES[event]
  if (known) return known
  const sentence = catalogueDescriptions.get(event)!.split('.')[0]!
  return sentence[0]!.toLowerCase() + sentence.slice(1)
}

const cases = [...eventCatalogue()].map(([event, key]) => ({ event, state: stateOf(event), content: { [key]: OBJECTS[key]!(event) } }))

describe('webhook-receiver ← help-desk-webhooks (messages)', () => {
  it('covers every event of the catalogue', () => {
    expect(cases.map((c) => c.event)).toHaveLength(23)
    expect(new Set(cases.map((c) => c.state)).size).toBe(cases.length)
  })

  it.each(cases)('$event', async ({ event, state, content }) => {
    await pact
      .addAsynchronousInteraction()
      .given(state)
      .expectsToReceive(`${/^[aeiou]/.test(event) ? 'an' : 'a'} ${event} delivery`, (builder) => {
        builder.withJSONContent({ yetto: content }).withMetadata({ event, contentType: 'application/json' })
      })
      .executeTest(async (received) => {
        const body = Buffer.from(JSON.stringify(received.contents.content))
        const headers = SCHEMES.yetto.headers(CONTRACT.secret, { id: 'd-1', event, body: body.toString(), timestamp: Math.floor(Date.now() / 1000) })
        const result = verifyDelivery(receiver, body, headers)
        expect(result).toMatchObject({ ok: true, delivery: { event } })
      })
  })
})

afterAll(() => expectNoDrift('webhook-receiver-help-desk-webhooks.json'))
