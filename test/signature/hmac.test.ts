import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSigner, sign, verify } from '../../src/signature/index.js'

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe('sign', () => {
  it('matches the RFC 4231 HMAC-SHA256 test vectors', () => {
    expect(sign('Jefe', 'what do ya want for nothing?')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
    expect(sign(Buffer.alloc(20, 0x0b), 'Hi There')).toBe('sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7')
  })

  it.runIf(hasOpenssl)('agrees with openssl, and a signature openssl computed verifies', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0')), fc.string({ maxLength: 80 }), (secret, message) => {
        const hex = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret, '-r'], { input: message }).toString().split(' ')[0]
        expect(sign(secret, message)).toBe(`sha256=${hex}`)
        expect(verify(secret, message, `sha256=${hex}`)).toEqual({ ok: true })
      }),
      { numRuns: 25 },
    )
  })

  it('rejects an empty or non-string secret as misuse', () => {
    expect(() => sign('', 'x')).toThrow(expect.objectContaining({ code: 'CKIT_SIG_MISSING_SECRET' }))
    expect(() => sign(42 as unknown as string, 'x')).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_OPTION' }))
  })
})

describe('verify', () => {
  const secret = 'whsec_test'
  const header = sign(secret, 'payload')

  it('says why a signature failed', () => {
    expect(verify(secret, 'payload', undefined)).toMatchObject({ ok: false, reason: 'missing' })
    expect(verify(secret, 'payload', '  ')).toMatchObject({ ok: false, reason: 'missing' })
    expect(verify(secret, 'payload', 'sha1=abc')).toMatchObject({ ok: false, reason: 'malformed' })
    expect(verify(secret, 'payload', header.slice(0, -1))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(verify(secret, 'payload', [header, header])).toMatchObject({ ok: false, reason: 'malformed' })
    expect(verify(secret, 'payload!', header)).toMatchObject({ ok: false, reason: 'mismatch' })
    expect(verify('other', 'payload', header)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('accepts upper-case hex, surrounding whitespace and a one-element header list', () => {
    expect(verify(secret, 'payload', `sha256=${header.slice(7).toUpperCase()}`)).toEqual({ ok: true })
    expect(verify(secret, 'payload', ` ${header} `)).toEqual({ ok: true })
    expect(verify(secret, 'payload', [header])).toEqual({ ok: true })
  })

  it('round-trips for any secret and message, as strings or bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), fc.uint8Array({ minLength: 1 })), fc.oneof(fc.string(), fc.uint8Array()), (key, message) => {
        const signer = createSigner(key)
        expect(signer.verify(message, signer.sign(message))).toEqual({ ok: true })
        expect(signer.sign(message)).toMatch(/^sha256=[0-9a-f]{64}$/)
      }),
    )
  })

  it('rejects any change to the message', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (key, message, at, flip) => {
        const tampered = Uint8Array.from(message)
        tampered[at % tampered.length]! ^= flip
        expect(verify(key, tampered, sign(key, message))).toMatchObject({ ok: false, reason: 'mismatch' })
      }),
    )
  })

  it('calls a header malformed exactly when it is not sha256= and 64 hex digits, on a signer that verified before', () => {
    const signer = createSigner(secret)
    const good = signer.sign('payload')
    const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF')
    // The last ones have a hex digit as their low byte ('İ' is U+0130, 'š' U+0161, '١' U+0661): Buffer's hex decoding reads them as digits.
    const nearHex = fc.constantFrom(...'0123456789abcdefABCDEFgxG:=\u0660\u00e9 \u0130\u0161\u0661\u0134\u0010\u0019')
    const candidates = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.tuple(fc.constantFrom('sha256=', 'SHA256=', 'sha256:', 'sha1=', ''), fc.array(nearHex, { minLength: 60, maxLength: 68 }).map((a) => a.join(''))).map(([p, h]) => p + h),
      fc.array(hexDigit, { minLength: 64, maxLength: 64 }).map((a) => `sha256=${a.join('')}`),
    )
    fc.assert(
      fc.property(candidates, (header) => {
        // Each verification writes the digest it was given into the signer's buffer: a good one just before must not help.
        expect(signer.verify('payload', good)).toEqual({ ok: true })
        const verdict = signer.verify('payload', header)
        const trimmed = header.trim()
        if (trimmed === '') expect(verdict).toMatchObject({ reason: 'missing' })
        else if (!/^sha256=[0-9a-fA-F]{64}$/.test(trimmed)) expect(verdict).toMatchObject({ reason: 'malformed' })
        else expect(verdict).toEqual(trimmed.toLowerCase() === good ? { ok: true } : expect.objectContaining({ reason: 'mismatch' }))
      }),
      { numRuns: 5000 },
    )
    expect(signer.verify('payload', `${good}00`)).toMatchObject({ reason: 'malformed' })
    // Each hex digit c replaced by U+0100 + c: the same low bytes, not a digest.
    const shifted = `sha256=${[...good.slice(7)].map((c) => String.fromCharCode(0x100 + c.charCodeAt(0))).join('')}`
    expect(signer.verify('payload', shifted)).toMatchObject({ reason: 'malformed' })
    // A JavaScript caller may pass anything in the list; a verdict, never a TypeError.
    expect(signer.verify('payload', [123] as unknown as string[])).toMatchObject({ reason: 'malformed' })
  })

  it('rejects any change to the header', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.nat(), fc.integer({ min: 1, max: 127 }), (key, message, at, flip) => {
        const good = sign(key, message)
        const index = at % good.length
        const changed = good.slice(0, index) + String.fromCharCode(good.charCodeAt(index) ^ flip) + good.slice(index + 1)
        // Case-flipping a hex letter keeps the same digest, which is not tampering.
        fc.pre(changed.toLowerCase() !== good)
        const verdict = verify(key, message, changed)
        expect(verdict.ok).toBe(false)
      }),
    )
  })
})
