import { MatchersV3, PactV4 } from '@pact-foundation/pact'
import { afterAll, describe, expect, it } from 'vitest'
import { CONTRACT, STATES } from '../../../src/pact/index.js'
import { resolveReceiverOptions, SCHEMES, verifyDelivery } from '../../../src/webhooks/index.js'
import { expectNoDrift, pactDir } from '../dir.js'

const { like, eachLike, regex } = MatchersV3

/**
 * What a webhook receiver needs from the help desk's deliveries: the envelope, the event's object
 * with the fields it acts on. The consumer's handler is the reference receiver: the message is
 * signed as the help desk signs it and must pass verifyDelivery.
 */
const pact = new PactV4({ consumer: CONTRACT.messageConsumer, provider: CONTRACT.messageProvider, dir: pactDir(), logLevel: 'error' })
const receiver = resolveReceiverOptions({ secret: CONTRACT.secret })

const conversation = (state: 'open' | 'closed', labels: string[]) => ({
  id: like('conv_1'),
  inbox: like({ id: 'inbox_1' }),
  title: like('Refund request'),
  state: regex('^(open|closed)$', state),
  html_url: regex('^https?://\\S+$', 'https://acme.yetto.app/conversations/conv_1'),
  labels: labels.length > 0 ? eachLike(labels[0]) : like(labels),
})

const cases: { event: string; state: string; content: Record<string, unknown> }[] = [
  { event: 'conversation.created', state: STATES.conversationCreated, content: { conversation: conversation('open', []) } },
  {
    event: 'message.created',
    state: STATES.messageCreated,
    content: {
      message: {
        id: like('msg_1'),
        conversation: like({ id: 'conv_1' }),
        author: like({ name: 'Kelly Customer' }),
        visibility: regex('^(public|internal)$', 'public'),
        text_content: like('My refund has not arrived.'),
        created_by_membership: like({ id: 'mem_1' }),
      },
    },
  },
  { event: 'conversation.labeled', state: STATES.conversationLabeled, content: { conversation: conversation('open', ['billing']) } },
  { event: 'conversation.closed', state: STATES.conversationClosed, content: { conversation: conversation('closed', ['billing']) } },
]

describe('webhook-receiver ← help-desk-webhooks (messages)', () => {
  it.each(cases)('$event', async ({ event, state, content }) => {
    await pact
      .addAsynchronousInteraction()
      .given(state)
      .expectsToReceive(`a ${event} delivery`, (builder) => {
        builder.withJSONContent({ yetto: content }).withMetadata({ event, contentType: 'application/json' })
      })
      .executeTest(async (message) => {
        const body = Buffer.from(JSON.stringify(message.contents.content))
        const headers = SCHEMES.yetto.headers(CONTRACT.secret, { id: 'd-1', event, body: body.toString(), timestamp: Math.floor(Date.now() / 1000) })
        const result = verifyDelivery(receiver, body, headers)
        expect(result).toMatchObject({ ok: true, delivery: { event } })
      })
  })
})

afterAll(() => expectNoDrift('webhook-receiver-help-desk-webhooks.json'))
