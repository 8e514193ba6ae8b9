import { describe, expect, it } from 'vitest'
import { fakePayload } from '../../src/fake/index.js'
import { eventCatalogue, validate } from '../../src/schema/index.js'

describe('fakePayload', () => {
  it('makes a payload valid for every event, the same for the same seed', async () => {
    for (const event of eventCatalogue().keys()) {
      const payload = await fakePayload(event, 7)
      expect(validate('webhook', payload, { event }).errors).toEqual([])
      expect(await fakePayload(event, 7)).toEqual(payload)
    }
  })

  it('carries what receivers act on, for every event and 20 seeds: labels, text_content, and what the event says', async () => {
    for (const [event, key] of eventCatalogue()) {
      for (let seed = 0; seed < 20; seed++) {
        const object = (await fakePayload(event, seed)).yetto[key] as { labels?: unknown[]; assignees?: unknown[]; text_content?: unknown; state?: string }
        if (key === 'conversation') expect(Array.isArray(object.labels), `${event} #${seed} labels`).toBe(true)
        if (key === 'message') expect(typeof object.text_content, `${event} #${seed} text_content`).toBe('string')
        if (event === 'conversation.labeled') expect(object.labels!.length, `${event} #${seed}`).toBeGreaterThan(0)
        if (event === 'conversation.assigned') expect(object.assignees?.length, `${event} #${seed}`).toBeGreaterThan(0)
        if (event === 'conversation.closed') expect(object.state).toBe('closed')
        if (event === 'conversation.created' || event === 'conversation.reopened') expect(object.state).toBe('open')
      }
    }
  }, 60_000)

  it('refuses an unknown event and bad options with typed codes', async () => {
    await expect(fakePayload('message.sent')).rejects.toMatchObject({ code: 'CKIT_FAKE_UNKNOWN_EVENT', errorClass: 'usage', message: expect.stringContaining('message.created') })
    await expect(fakePayload('message.created', -1)).rejects.toMatchObject({ code: 'CKIT_FAKE_INVALID_OPTION' })
    await expect(fakePayload('message.created', 1, { attempts: 0 })).rejects.toMatchObject({ code: 'CKIT_FAKE_INVALID_OPTION' })
  })
})
