import { describe, expect, it } from 'vitest'
import { CONTRACT, contractContext, resignRequest } from '../../src/pact/index.js'
import { buildSignedRequest, decodeContext, parseSignedRequest, pathParameterOf } from '../../src/signature/index.js'

const NOW = Date.parse('2026-12-01T10:00:00.000Z')
const recorded = (email: string) => buildSignedRequest({ url: `http://127.0.0.1${CONTRACT.basePath}`, secret: CONTRACT.secret, context: contractContext(email) })
const options = { secret: 'provider-secret', foreignSecret: 'not-the-provider', basePath: '/hooks/yetto', nowMs: NOW }
const check = (url: string, signature: string | undefined) => parseSignedRequest({ path: url, headers: signature ? { X_YETTO_SIGNATURE: signature } : {}, secret: 'provider-secret', now: () => NOW })

describe('resignRequest', () => {
  const request = recorded(CONTRACT.knownEmail)
  const path = new URL(request.url).pathname

  it('re-signs what the contract signed with the provider secret, stamped now, under the base path', () => {
    const out = resignRequest(path, { x_yetto_signature: request.signature }, options)
    expect(out.recorded).toBe('valid')
    expect(out.url.startsWith('/hooks/yetto/')).toBe(true)
    expect(check(out.url, out.signature)).toMatchObject({ ok: true, context: { requested_at: new Date(NOW).toISOString(), requester: { email: CONTRACT.knownEmail } } })
  })

  it('stamps unsigned and mis-signed requests now too, so only the signature can refuse them', () => {
    const unsigned = resignRequest(path, {}, options)
    expect(unsigned).toMatchObject({ recorded: 'unsigned', signature: undefined })
    expect(check(unsigned.url, undefined)).toMatchObject({ ok: false, reason: 'missing' })
    const misSigned = resignRequest(path, { X_YETTO_SIGNATURE: `sha256=${'0'.repeat(64)}` }, options)
    expect(misSigned.recorded).toBe('mis-signed')
    expect(check(misSigned.url, misSigned.signature)).toMatchObject({ ok: false, reason: 'mismatch' })
    for (const out of [unsigned, misSigned]) {
      const context = decodeContext(pathParameterOf(out.url))
      expect(context.ok && context.context.requested_at).toBe(new Date(NOW).toISOString())
    }
    // Signed with the foreign key, correctly: a checker that skipped the HMAC would accept it.
    expect(parseSignedRequest({ path: misSigned.url, headers: { X_YETTO_SIGNATURE: misSigned.signature! }, secret: 'not-the-provider', now: () => NOW }).ok).toBe(true)
  })

  it('refuses a foreign key equal to the provider secret', () => {
    expect(() => resignRequest(path, {}, { ...options, foreignSecret: options.secret })).toThrow(/must differ/)
  })
})
