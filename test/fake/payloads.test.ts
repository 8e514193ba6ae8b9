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

  it('refuses an unknown event and bad options with typed codes', async () => {
    await expect(fakePayload('message.sent')).rejects.toMatchObject({ code: 'CKIT_FAKE_UNKNOWN_EVENT', errorClass: 'usage', message: expect.stringContaining('message.created') })
    await expect(fakePayload('message.created', -1)).rejects.toMatchObject({ code: 'CKIT_FAKE_INVALID_OPTION' })
    await expect(fakePayload('message.created', 1, { attempts: 0 })).rejects.toMatchObject({ code: 'CKIT_FAKE_INVALID_OPTION' })
  })
})
