import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SCHEME_NAMES, SCHEMES, schemeOf } from '../../src/webhooks/index.js'

const body = JSON.stringify({ yetto: { message: { id: 'msg_1' } } })
const NOW = 1_700_000_000_000
const delivery = { id: 'd-1', event: 'message.created', body, timestamp: NOW / 1000 }
const check = { toleranceSeconds: 300, nowMs: NOW }

describe('signature schemes', () => {
  it.each(SCHEME_NAMES)('%s: what one side signs, the other verifies', (name) => {
    const scheme = SCHEMES[name]
    const headers = scheme.headers('s3cret', delivery)
    expect(scheme.verify('s3cret', body, headers, check)).toMatchObject({ ok: true })
    expect(scheme.verify('wrong', body, headers, check)).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(scheme.verify('s3cret', body, {}, check)).toMatchObject({ ok: false, reason: 'missing' })
  })

  it('standard: matches the published Standard Webhooks test vector', () => {
    const headers = SCHEMES.standard.headers('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', event: 'x', body: '{"test": 2432232314}', timestamp: 1614265330 })
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
    expect(SCHEMES.standard.verify('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{"test": 2432232314}', headers, { toleranceSeconds: 300, nowMs: 1614265330_000 })).toMatchObject({ ok: true, id: 'msg_p5jXN8AQM9LWM0D4loKWxJek' })
  })

  it('standard signs id and timestamp: changing either is a mismatch, an old one is stale', () => {
    const headers = SCHEMES.standard.headers('s3cret', delivery)
    expect(SCHEMES.standard.verify('s3cret', body, { ...headers, 'webhook-id': 'd-2' }, check)).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(SCHEMES.standard.verify('s3cret', body, { ...headers, 'webhook-timestamp': String(NOW / 1000 + 1) }, check)).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(SCHEMES.standard.verify('s3cret', body, headers, { toleranceSeconds: 300, nowMs: NOW + 600_000 })).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('yetto and github: an independent HMAC of the raw body matches the header', () => {
    const hex = createHmac('sha256', 's3cret').update(body).digest('hex')
    expect(SCHEMES.yetto.headers('s3cret', delivery)['X_YETTO_SIGNATURE']).toBe(`sha256=${hex}`)
    expect(SCHEMES.github.headers('s3cret', delivery)).toMatchObject({ 'X-Hub-Signature-256': `sha256=${hex}`, 'X-GitHub-Event': 'message.created', 'X-GitHub-Delivery': 'd-1' })
  })

  // The probe forges with signWithKey; it must sign exactly as the scheme does, or a receiver that
  // accepts the empty key would be refusing a malformed header instead and pass.
  it.each(SCHEME_NAMES)('%s: signWithKey with the secret\'s own key bytes gives the signature the scheme sends', (name) => {
    const scheme = SCHEMES[name]
    const key = name === 'standard' ? Buffer.from('s3cret', 'base64') : Buffer.from('s3cret')
    expect(scheme.signWithKey(key, delivery)).toBe(scheme.headers('s3cret', delivery)[scheme.signatureHeader])
  })

  it('signWithKey signs with the empty key, which a scheme secret can never be', () => {
    const empty = new Uint8Array(0)
    expect(SCHEMES.yetto.signWithKey(empty, delivery)).toBe(`sha256=${createHmac('sha256', '').update(body).digest('hex')}`)
    expect(SCHEMES.github.signWithKey(empty, delivery)).toBe(SCHEMES.yetto.signWithKey(empty, delivery))
    expect(SCHEMES.standard.signWithKey(empty, delivery)).toBe(`v1,${createHmac('sha256', '').update(`d-1.${NOW / 1000}.${body}`).digest('base64')}`)
    for (const name of SCHEME_NAMES) expect(() => SCHEMES[name].checkSecret('')).toThrow()
  })

  it.each(SCHEME_NAMES)('%s: every single-byte change of the body is rejected', (name) => {
    const scheme = SCHEMES[name]
    const headers = scheme.headers('s3cret', delivery)
    const bytes = Buffer.from(body)
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const tampered = Buffer.from(bytes)
        tampered[index] = (tampered[index]! + delta) % 256
        expect(scheme.verify('s3cret', tampered, headers, check).ok).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('an unknown scheme is a usage error', () => {
    expect(() => schemeOf('svix')).toThrow(expect.objectContaining({ code: 'CKIT_WEBHOOKS_INVALID_OPTION' }))
  })
})
