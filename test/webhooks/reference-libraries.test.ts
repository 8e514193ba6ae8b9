import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import fc from 'fast-check'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveDeliverOptions } from '../../src/webhooks/deliver.js'
import { resolveReceiverOptions, SCHEMES } from '../../src/webhooks/index.js'

/**
 * Our schemes must give the verdict the reference libraries give for the same inputs: a receiver
 * tested with ckit, or a sender standing in for the real service, must not disagree with what
 * production code built on those libraries does.
 */

// The Standard Webhooks spec's published example.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

afterEach(() => {
  vi.useRealTimers()
})

/** The library's verdict at a given clock (its verify reads Date.now()). */
function libraryAccepts(secret: string, body: string, headers: Record<string, string>, nowMs: number): boolean {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(nowMs)
  try {
    new Webhook(secret).verify(body, headers)
    return true
  } catch {
    return false
  } finally {
    vi.useRealTimers()
  }
}

const ours = (secret: string, body: string, headers: Record<string, string>, nowMs: number): boolean =>
  SCHEMES.standard.verify(secret, body, headers, { toleranceSeconds: 300, nowMs }).ok

describe('standard agrees with the standardwebhooks library', () => {
  it.each([
    ['with its whsec_ prefix', SPEC.secret],
    ['without its prefix', SPEC.secret.slice('whsec_'.length)],
  ])('the spec example secret %s signs and verifies the published vector', (_label, secret) => {
    const headers = SCHEMES.standard.headers(secret, { id: SPEC.id, event: 'x', body: SPEC.body, timestamp: SPEC.timestamp })
    expect(headers['webhook-signature']).toBe(SPEC.signature)
    const published = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature }
    expect(ours(secret, SPEC.body, published, SPEC.timestamp * 1000)).toBe(true)
    expect(libraryAccepts(secret, SPEC.body, published, SPEC.timestamp * 1000)).toBe(true)
  })

  // Ages in seconds, with a sub-second part on the clock: the window is compared in whole seconds.
  it.each([
    [300, true],
    [301, false],
    [-300, true],
    [-301, false],
  ])('a delivery %i s old (clock mid-second): accepted = %s, as the library says', (age, accepted) => {
    const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature }
    const nowMs = (SPEC.timestamp + age) * 1000 + 999
    expect(libraryAccepts(SPEC.secret, SPEC.body, headers, nowMs)).toBe(accepted)
    expect(ours(SPEC.secret, SPEC.body, headers, nowMs)).toBe(accepted)
  })

  it('compares signatures as text: a signature without its padding is refused by both', () => {
    const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature.replace(/=$/, '') }
    expect(libraryAccepts(SPEC.secret, SPEC.body, headers, SPEC.timestamp * 1000)).toBe(false)
    expect(ours(SPEC.secret, SPEC.body, headers, SPEC.timestamp * 1000)).toBe(false)
  })

  it('same verdict for random keys, ages, tampering and secret spellings', () => {
    const mutations = ['none', 'body', 'id', 'timestamp', 'signature', 'other-key', 'extra-signature'] as const
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.boolean(),
        fc.integer({ min: -400, max: 400 }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom(...mutations),
        (key, prefixed, age, ms, mutation) => {
          const secret = (prefixed ? 'whsec_' : '') + Buffer.from(key).toString('base64')
          const body = JSON.stringify({ yetto: { message: { id: 'msg_1', n: age } } })
          const timestamp = 1_700_000_000
          const signer = mutation === 'other-key' ? SCHEMES.standard.otherSecret(secret) : secret
          const headers: Record<string, string> = SCHEMES.standard.headers(signer, { id: 'd-1', event: 'message.created', body, timestamp })
          if (mutation === 'id') headers['webhook-id'] = 'd-2'
          if (mutation === 'timestamp') headers['webhook-timestamp'] = String(timestamp + 1)
          if (mutation === 'signature') headers['webhook-signature'] = headers['webhook-signature']!.replace(/^v1,./, 'v1,A')
          if (mutation === 'extra-signature') headers['webhook-signature'] = `v1,bm90IGl0 ${headers['webhook-signature']}`
          const received = mutation === 'body' ? body.replace('msg_1', 'msg_2') : body
          const nowMs = (timestamp + age) * 1000 + ms
          expect(ours(secret, received, headers, nowMs)).toBe(libraryAccepts(secret, received, headers, nowMs))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a secret the library cannot read is a typed configuration error for receivers and senders, and never printed', () => {
    const bad = 'whsec_not base64!'
    expect(() => new Webhook(bad)).toThrow()
    const expected = expect.objectContaining({ code: 'CKIT_WEBHOOKS_INVALID_OPTION', message: expect.stringMatching(/base64, optionally prefixed "whsec_"/) })
    expect(() => resolveReceiverOptions({ secret: bad, scheme: 'standard' })).toThrow(expected)
    expect(() => resolveDeliverOptions({ secret: bad, scheme: 'standard' })).toThrow(expected)
    expect(() => resolveReceiverOptions({ secret: 'whsec_', scheme: 'standard' })).toThrow(expected)
    try {
      resolveReceiverOptions({ secret: bad, scheme: 'standard' })
    } catch (error) {
      expect((error as Error).message).not.toContain('not base64!')
    }
  })

  it('otherSecret gives a valid, different key', () => {
    const other = SCHEMES.standard.otherSecret(SPEC.secret)
    expect(() => new Webhook(other)).not.toThrow()
    const headers = SCHEMES.standard.headers(other, { id: SPEC.id, event: 'x', body: SPEC.body, timestamp: SPEC.timestamp })
    expect(headers['webhook-signature']).not.toBe(SPEC.signature)
  })
})

describe('github agrees with @octokit/webhooks-methods', () => {
  const body = JSON.stringify({ yetto: { message: { id: 'msg_1' } } })
  const header = (value: string) => ({ 'X-Hub-Signature-256': value })
  const oursGithub = (secret: string, value: string) => SCHEMES.github.verify(secret, body, header(value), { toleranceSeconds: 300, nowMs: Date.now() }).ok

  it('signs what octokit signs', async () => {
    expect(SCHEMES.github.headers('s3cret', { id: 'd', event: 'message.created', body, timestamp: 1 })['X-Hub-Signature-256']).toBe(await octokitSign('s3cret', body))
  })

  it('refuses an upper-case hex digest, as octokit does', async () => {
    const upper = `sha256=${(await octokitSign('s3cret', body)).slice('sha256='.length).toUpperCase()}`
    expect(await octokitVerify('s3cret', body, upper)).toBe(false)
    expect(SCHEMES.github.verify('s3cret', body, header(upper), { toleranceSeconds: 300, nowMs: 0 })).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringMatching(/lower-case hex/) })
  })

  it('same verdict for random secrets and header spellings', async () => {
    const spellings = ['as-signed', 'upper', 'mixed', 'prefix-upper', 'wrong-secret', 'sha1', 'truncated'] as const
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom(...spellings), async (secret, spelling) => {
        const signed = await octokitSign(secret, body)
        const hex = signed.slice('sha256='.length)
        const value = {
          'as-signed': signed,
          upper: `sha256=${hex.toUpperCase()}`,
          mixed: `sha256=${hex.slice(0, 32)}${hex.slice(32).toUpperCase()}`,
          'prefix-upper': `SHA256=${hex}`,
          'wrong-secret': await octokitSign(`${secret}-not`, body),
          sha1: `sha1=${hex}`,
          truncated: signed.slice(0, -1),
        }[spelling]
        expect(oursGithub(secret, value)).toBe(await octokitVerify(secret, body, value))
      }),
      { numRuns: 200 },
    )
  })
})
