import { describe, expect, it } from 'vitest'
import type { WebhookPayload } from '../../src/schema/index.js'
import { parseWebhook, ReplayGuard, signWebhook } from '../../src/signature/index.js'
import { readFixture } from '../helpers.js'

const payload = readFixture('webhook/valid/message-created.json') as WebhookPayload
const secret = 'whsec_abc'

describe('webhooks', () => {
  it('signs the exact body bytes and sends event, delivery id and timestamp headers', () => {
    const signed = signWebhook({ secret, payload, event: 'message.created', deliveryId: 'd-1', timestamp: 1_700_000_000 })
    expect(signed.body).toBe(JSON.stringify(payload))
    expect(signed.headers).toMatchObject({ 'content-type': 'application/json', X_YETTO_EVENT: 'message.created', X_YETTO_DELIVERY: 'd-1', X_YETTO_TIMESTAMP: '1700000000' })
    const parsed = parseWebhook({ secret, body: Buffer.from(signed.body), headers: signed.headers })
    expect(parsed).toEqual({ ok: true, payload, event: 'message.created', deliveryId: 'd-1', timestamp: 1_700_000_000 })
  })

  it('rejects a body changed after signing, even by whitespace', () => {
    const signed = signWebhook({ secret, payload, event: 'message.created' })
    const reformatted = JSON.stringify(JSON.parse(signed.body), null, 2)
    expect(parseWebhook({ secret, body: reformatted, headers: signed.headers })).toMatchObject({ ok: false, reason: 'mismatch', status: 401 })
  })

  it('checks the payload against the event named in the header', () => {
    const signed = signWebhook({ secret, payload, event: 'conversation.created' })
    expect(parseWebhook({ secret, body: signed.body, headers: signed.headers })).toMatchObject({
      ok: false,
      reason: 'schema_invalid',
      status: 400,
      errors: [{ pointer: '/yetto/conversation' }],
    })
    const notJson = signWebhook({ secret, payload: '{"yetto": ', event: 'message.created' })
    expect(parseWebhook({ secret, body: notJson.body, headers: notJson.headers })).toMatchObject({ ok: false, reason: 'invalid_json' })
  })

  it('optionally rejects stale timestamps and replayed deliveries', () => {
    const now = () => 1_700_000_000_000
    const signed = signWebhook({ secret, payload, event: 'message.created', deliveryId: 'd-7', timestamp: 1_700_000_000 - 600 })
    expect(parseWebhook({ secret, body: signed.body, headers: signed.headers, toleranceSeconds: 300, now })).toMatchObject({ ok: false, reason: 'stale' })
    expect(parseWebhook({ secret, body: signed.body, headers: signed.headers, toleranceSeconds: 900, now }).ok).toBe(true)
    const seen = new Set<string>()
    expect(parseWebhook({ secret, body: signed.body, headers: signed.headers, seen }).ok).toBe(true)
    expect(parseWebhook({ secret, body: signed.body, headers: signed.headers, seen })).toMatchObject({ ok: false, reason: 'replayed', status: 409 })
  })

  it('does not let a forged delivery block the real one', () => {
    const seen = new Set<string>()
    const real = signWebhook({ secret, payload, event: 'message.created', deliveryId: 'd-9' })
    expect(parseWebhook({ secret, body: real.body, headers: { ...real.headers, X_YETTO_SIGNATURE: 'sha256=' + '0'.repeat(64) }, seen }).ok).toBe(false)
    expect(parseWebhook({ secret, body: real.body, headers: real.headers, seen }).ok).toBe(true)
  })

  it('keys the replay guard on the signed body: new delivery id and timestamp headers do not let a capture through', () => {
    const seen = new ReplayGuard({ maxEntries: 10 })
    const captured = signWebhook({ secret, payload, event: 'message.created', deliveryId: 'd-1', timestamp: 1_700_000_000 })
    expect(parseWebhook({ secret, body: captured.body, headers: captured.headers, seen }).ok).toBe(true)
    const rewritten = { ...captured.headers, X_YETTO_DELIVERY: 'd-2', X_YETTO_TIMESTAMP: String(Math.floor(Date.now() / 1000)) }
    expect(parseWebhook({ secret, body: captured.body, headers: rewritten, seen, toleranceSeconds: 300 })).toMatchObject({ ok: false, reason: 'replayed', status: 409 })
  })

  it('bounds the replay guard', () => {
    const guard = new ReplayGuard({ maxEntries: 2 })
    guard.add('a').add('b').add('c')
    expect([guard.has('a'), guard.has('b'), guard.has('c'), guard.size]).toEqual([false, true, true, 2])
    expect(() => new ReplayGuard({ maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_OPTION' }))
  })

  it('throws a typed error, like parseSignedRequest, when the secret is missing', () => {
    const forged = { body: JSON.stringify(payload), headers: { X_YETTO_SIGNATURE: 'sha256=' + '0'.repeat(64) } }
    for (const missing of [undefined, '']) {
      expect(() => parseWebhook({ ...forged, secret: missing as unknown as string })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_MISSING_SECRET' }))
    }
  })
})
