import { CkitError } from '../errors.js'
import { fakePayload } from '../fake/index.js'
import { validate, type WebhookPayload } from '../schema/index.js'

/** One event of a help desk's activity, in order. */
export interface StoryEvent {
  readonly event: string
  readonly payload: WebhookPayload
}

type Json = Record<string, unknown>

const clone = <T>(value: T): T => structuredClone(value)

/**
 * A plausible conversation as a help desk would report it, for one seed: it is opened, the
 * customer writes, it is labeled and assigned, an agent answers, and it is closed. Every event
 * carries the same conversation id, inbox and organization; messages point at their conversation;
 * labels and assignees change as the events say. Built on `fakePayload`, so every payload is valid
 * against the contract, and deterministic per seed.
 */
export async function webhookStory(seed = 1): Promise<StoryEvent[]> {
  const base = await Promise.all([
    fakePayload('conversation.created', seed),
    fakePayload('message.created', seed + 1),
    fakePayload('message.created', seed + 2),
  ])
  const conversation = clone(base[0].yetto['conversation'] as Json)
  const firstMessage = clone(base[1].yetto['message'] as Json)
  const reply = clone(base[2].yetto['message'] as Json)
  const conversationRef = { id: conversation['id'] }

  // Messages of a conversation are written by members (the customer's and the agent's); the
  // factory always gives them text_content, which the contract requires.
  for (const message of [firstMessage, reply]) {
    delete message['created_by_plug']
    message['created_by_membership'] ??= { id: `mem_${String(message['id']).slice(-6)}` }
  }
  // The customer's message opens the conversation; the agent's reply is public and awaited by no one.
  Object.assign(firstMessage, { conversation: conversationRef, visibility: 'public', is_awaiting_response: true })
  Object.assign(reply, { conversation: conversationRef, visibility: 'public', is_awaiting_response: false })
  conversation['state'] = 'open'
  conversation['originating_message'] = { id: firstMessage['id'] }
  conversation['messages'] = [{ id: firstMessage['id'] }]
  conversation['labels'] = []
  conversation['assignees'] = []

  const events: StoryEvent[] = []
  const push = (event: string, key: string, object: Json) => events.push({ event, payload: { yetto: { [key]: clone(object) } } as WebhookPayload })
  push('conversation.created', 'conversation', conversation)
  push('message.created', 'message', firstMessage)
  conversation['labels'] = ['triage']
  push('conversation.labeled', 'conversation', conversation)
  conversation['assignees'] = [String((reply['author'] as Json | undefined)?.['name'] ?? 'agent').toLowerCase().replace(/[^a-z0-9]+/g, '-')]
  push('conversation.assigned', 'conversation', conversation)
  conversation['messages'] = [{ id: firstMessage['id'] }, { id: reply['id'] }]
  push('message.created', 'message', reply)
  conversation['state'] = 'closed'
  push('conversation.closed', 'conversation', conversation)

  // A story that breaks the contract is a bug here, not data to send.
  for (const { event, payload } of events) {
    const checked = validate('webhook', payload, { event })
    if (!checked.valid) throw new CkitError('CKIT_FAKE_GENERATION_FAILED', `webhookStory built an invalid ${event}: ${checked.errors[0]?.pointer} ${checked.errors[0]?.message}`)
  }
  return events
}
