import { describe, expect, it } from 'vitest'
import { validate } from '../../src/schema/index.js'
import { webhookStory } from '../../src/webhooks/index.js'

describe('webhookStory', () => {
  it('tells one conversation from opening to closing, with consistent identities, valid events, the same for the same seed', async () => {
    const story = await webhookStory(11)
    expect(story.map((s) => s.event)).toEqual(['conversation.created', 'message.created', 'conversation.labeled', 'conversation.assigned', 'message.created', 'conversation.closed'])
    for (const { event, payload } of story) expect(validate('webhook', payload, { event }).errors).toEqual([])
    const conversations = story.filter((s) => s.event.startsWith('conversation.')).map((s) => s.payload.yetto.conversation as { id: string; inbox: unknown; state: string; labels: string[]; assignees: string[] })
    const messages = story.filter((s) => s.event.startsWith('message.')).map((s) => s.payload.yetto.message as { conversation: { id: string } })
    expect(new Set(conversations.map((c) => c.id)).size).toBe(1)
    expect(new Set(conversations.map((c) => JSON.stringify(c.inbox))).size).toBe(1)
    for (const message of messages) expect(message.conversation.id).toBe(conversations[0]!.id)
    expect(conversations.map((c) => c.labels.length)).toEqual([0, 1, 1, 1])
    expect(conversations.map((c) => c.assignees.length)).toEqual([0, 0, 1, 1])
    expect(conversations.map((c) => c.state)).toEqual(['open', 'open', 'open', 'closed'])
    expect(await webhookStory(11)).toEqual(story)
    expect(await webhookStory(12)).not.toEqual(story)
  })
})
