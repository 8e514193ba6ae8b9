import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RequestContext } from '../../src/schema/index.js'
import { buildSignedRequest, createRequestParser, decodeContext, encodeContext, parseSignedRequest, pathParameterOf, sign } from '../../src/signature/index.js'

const context: RequestContext = {
  reason: 'conversation_viewed',
  requested_at: new Date().toISOString(),
  inbox: { slug: 'support' },
  conversation: { id: 'conv_1', title: 'Refund', html_url: 'https://acme.yetto.app/conversations/conv_1' },
  requester: { email: 'kelly@example.com', name: 'Kelly Customer' },
}

describe('signed customer-connection requests', () => {
  it('appends the path parameter to the configured URL and signs exactly that string', () => {
    const request = buildSignedRequest({ url: 'https://crm.example.com/yetto?inbox=1', secret: 's3cret', context })
    expect(request.url).toBe(`https://crm.example.com/yetto/${request.pathParameter}?inbox=1`)
    expect(request.pathParameter).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(request.headers).toEqual({ X_YETTO_SIGNATURE: sign('s3cret', request.pathParameter) })
    expect(buildSignedRequest({ url: 'https://crm.example.com/', secret: 's3cret', context }).url).toBe(`https://crm.example.com/${request.pathParameter}`)
  })

  it('parses what it builds: the endpoint side gets the context back', () => {
    const request = buildSignedRequest({ url: 'https://crm.example.com/hooks/yetto', secret: 's3cret', context })
    const path = new URL(request.url).pathname + new URL(request.url).search
    const parsed = parseSignedRequest({ path, headers: { x_yetto_signature: request.signature }, secret: 's3cret' })
    expect(parsed).toEqual({ ok: true, context, pathParameter: request.pathParameter, isChallenge: false })
  })

  it('answers 401 with the reason for signature problems and names a proxy when the header is missing', () => {
    const request = buildSignedRequest({ url: 'https://crm.example.com', secret: 's3cret', context })
    const path = `/${request.pathParameter}`
    expect(parseSignedRequest({ path, headers: {}, secret: 's3cret' })).toMatchObject({ ok: false, reason: 'missing', status: 401, message: expect.stringMatching(/underscores_in_headers/) })
    expect(parseSignedRequest({ path, headers: { 'X-Yetto-Signature': 'sha256=zz' }, secret: 's3cret' })).toMatchObject({ ok: false, reason: 'malformed', status: 401 })
    expect(parseSignedRequest({ path, headers: new Headers({ 'x-yetto-signature': request.signature }), secret: 'wrong' })).toMatchObject({ ok: false, reason: 'mismatch', status: 401 })
  })

  it('answers 400 for a path parameter that is not a valid context, with the pointer', () => {
    const bad = (param: string) => parseSignedRequest({ path: `/${param}`, headers: { X_YETTO_SIGNATURE: sign('k', param) }, secret: 'k' })
    expect(bad('not+base64!')).toMatchObject({ ok: false, reason: 'malformed_context', status: 400 })
    expect(bad(Buffer.from('{oops').toString('base64url'))).toMatchObject({ ok: false, reason: 'malformed_context' })
    const invalid = bad(Buffer.from(JSON.stringify({ ...context, requester: { email: 'nope' } })).toString('base64url'))
    expect(invalid).toMatchObject({ ok: false, reason: 'invalid_context', status: 400, errors: [{ pointer: '/requester/email' }] })
    expect(parseSignedRequest({ path: '/', headers: { X_YETTO_SIGNATURE: sign('k', '') }, secret: 'k' })).toMatchObject({ ok: false, reason: 'missing_context' })
  })

  it('flags a challenge request', () => {
    const challenge: RequestContext = { reason: 'challenge', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, challenge: 'abc123' }
    const request = buildSignedRequest({ url: 'http://127.0.0.1:4010', secret: 'k', context: challenge })
    expect(parseSignedRequest({ path: `/${request.pathParameter}`, headers: request.headers, secret: 'k' })).toMatchObject({ ok: true, isChallenge: true, context: { challenge: 'abc123' } })
  })

  it('refuses to build a request from an invalid context or a non-http URL', () => {
    expect(() => buildSignedRequest({ url: 'https://x.example', secret: 'k', context: { ...context, reason: 'nope' } as unknown as RequestContext })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_CONTEXT', message: expect.stringContaining('/reason') }))
    expect(() => buildSignedRequest({ url: 'ftp://x.example', secret: 'k', context })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_URL' }))
    expect(() => buildSignedRequest({ url: 'relative/path', secret: 'k', context })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_URL' }))
  })

  it('round-trips any valid context through base64url', () => {
    const arbitraryContext = fc.record({
      reason: fc.constantFrom('conversation_viewed' as const, 'automation' as const, 'refresh' as const),
      requested_at: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      inbox: fc.record({ slug: fc.string({ minLength: 1 }) }),
      conversation: fc.record({ id: fc.string({ minLength: 1 }), title: fc.string() }),
      requester: fc.record({ email: fc.emailAddress(), name: fc.string() }),
    })
    fc.assert(
      fc.property(arbitraryContext, (ctx) => {
        expect(decodeContext(encodeContext(ctx))).toEqual({ ok: true, context: ctx })
      }),
    )
  })

  it('never accepts a forged request when the secret is missing (an unset environment variable)', () => {
    const forged = `/${encodeContext(context)}`
    const unset = process.env['CKIT_TEST_SECRET_THAT_IS_NOT_SET']
    for (const secret of [unset, '', null]) {
      expect(() => parseSignedRequest({ path: forged, headers: { X_YETTO_SIGNATURE: 'sha256=' + '0'.repeat(64) }, secret: secret as string })).toThrow(
        expect.objectContaining({ code: 'CKIT_SIG_MISSING_SECRET' }),
      )
    }
    // Skipping the check takes a loud, explicit option.
    expect(parseSignedRequest({ path: forged, dangerouslySkipSignatureCheck: true })).toMatchObject({ ok: true })
  })

  it('refuses a correctly signed context outside the freshness window, either way', () => {
    const now = Date.parse('2026-11-25T12:00:00Z')
    const at = (iso: string) => {
      const request = buildSignedRequest({ url: 'https://crm.example.com', secret: 'k', context: { ...context, requested_at: iso } })
      return parseSignedRequest({ path: `/${request.pathParameter}`, headers: request.headers, secret: 'k', now: () => now })
    }
    expect(at('2019-05-01T00:00:00Z')).toMatchObject({ ok: false, reason: 'stale', status: 401, message: expect.stringMatching(/in the past/) })
    expect(at('2026-11-25T12:06:00Z')).toMatchObject({ ok: false, reason: 'stale', message: expect.stringMatching(/in the future/) })
    expect(at('2026-11-25T11:55:30Z')).toMatchObject({ ok: true })
    expect(at('2026-11-25T12:04:00Z')).toMatchObject({ ok: true })
    const old = buildSignedRequest({ url: 'https://crm.example.com', secret: 'k', context: { ...context, requested_at: '2019-05-01T00:00:00Z' } })
    expect(parseSignedRequest({ path: `/${old.pathParameter}`, headers: old.headers, secret: 'k', toleranceSeconds: Infinity }).ok).toBe(true)
    for (const bad of [-1, Number.NaN, '300']) {
      expect(() => parseSignedRequest({ path: '/', secret: 'k', toleranceSeconds: bad as number })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_OPTION' }))
    }
  })

  it('never throws on arbitrary paths and headers', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))), (path, headers) => {
        const result = parseSignedRequest({ path, headers, secret: 'k' })
        expect(result.ok).toBe(false)
        expect(typeof decodeContext(path).ok).toBe('boolean')
      }),
    )
  })
})

describe('createRequestParser (compiled once, for servers)', () => {
  const signed = buildSignedRequest({ url: 'https://crm.example.com/yetto', secret: 'k', context })
  const path = new URL(signed.url).pathname

  it('checks the signature of a repeated request every time, even after its context was decoded', () => {
    const parse = createRequestParser({ secret: 'k' })
    expect(parse(path, signed.headers)).toMatchObject({ ok: true, context: { requester: { email: 'kelly@example.com' } } })
    expect(parse(path, { [`x_yetto_signature`]: sign('not-k', signed.pathParameter) })).toMatchObject({ ok: false, reason: 'mismatch', status: 401 })
    expect(parse(path, {})).toMatchObject({ ok: false, reason: 'missing' })
    expect(parse(path, signed.headers).ok).toBe(true)
  })

  it('checks requested_at on every request, so a cached context still goes stale', () => {
    let now = Date.parse(context.requested_at)
    const parse = createRequestParser({ secret: 'k', now: () => now })
    expect(parse(path, signed.headers).ok).toBe(true)
    now += 301_000
    expect(parse(path, signed.headers)).toMatchObject({ ok: false, reason: 'stale', status: 401 })
  })

  it('shares one frozen context between identical requests, so no caller can change what the next one sees', () => {
    const parse = createRequestParser({ secret: 'k' })
    const first = parse(path, signed.headers)
    const second = parse(path, signed.headers)
    if (!first.ok || !second.ok) throw new Error('expected both to parse')
    expect(second.context).toBe(first.context)
    expect(() => {
      ;(first.context.requester as { email: string }).email = 'mallory@example.com'
    }).toThrow(TypeError)
    expect(second.context.requester?.email).toBe('kelly@example.com')
  })

  it('refuses a bad cacheEntries up front', () => {
    for (const bad of [-1, 1.5, '10']) expect(() => createRequestParser({ secret: 'k', cacheEntries: bad as number })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_INVALID_OPTION', message: expect.stringContaining('cacheEntries') }))
    expect(() => createRequestParser({ secret: '' })).toThrow(expect.objectContaining({ code: 'CKIT_SIG_MISSING_SECRET' }))
  })

  it('answers exactly what parseSignedRequest answers, for any sequence of requests with repeats', () => {
    const other = buildSignedRequest({ url: 'https://crm.example.com/yetto', secret: 'k', context: { ...context, reason: 'challenge', challenge: 'abc' } as RequestContext })
    const pool = [
      { path, headers: signed.headers },
      { path: new URL(other.url).pathname, headers: other.headers },
      { path, headers: other.headers },
      { path: `${path}x`, headers: signed.headers },
      { path: '/yetto/', headers: {} },
    ]
    const request = fc.oneof(fc.constantFrom(...pool), fc.record({ path: fc.string(), headers: fc.dictionary(fc.constantFrom('x_yetto_signature', 'x-yetto-signature', 'other'), fc.string()) }))
    fc.assert(
      fc.property(fc.array(request, { maxLength: 12 }), fc.integer({ min: 0, max: 3 }), (requests, cacheEntries) => {
        const parse = createRequestParser({ secret: 'k', cacheEntries })
        for (const r of requests) expect(parse(r.path, r.headers)).toEqual(parseSignedRequest({ path: r.path, headers: r.headers, secret: 'k' }))
      }),
    )
  })
})

describe('pathParameterOf', () => {
  it('takes the last non-empty segment, ignoring the query and fragment', () => {
    expect(pathParameterOf('/yetto/abc?x=1')).toBe('abc')
    expect(pathParameterOf('/yetto/abc/#frag')).toBe('abc')
    expect(pathParameterOf('https://crm.example.com/a//b//')).toBe('b')
    expect(pathParameterOf('/?abc')).toBe('')
    expect(pathParameterOf('')).toBe('')
  })

  it('agrees with splitting on / for any string', () => {
    const bySplitting = (path: string) => (path.split(/[?#]/, 1)[0] ?? '').split('/').filter((s) => s !== '').at(-1) ?? ''
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '/', '?', '#', '=', '-') }), (path) => {
        expect(pathParameterOf(path)).toBe(bySplitting(path))
      }),
    )
  })
})

describe('readHeader', () => {
  it('finds the header in any case and spelling, like a scan of every key would', async () => {
    const { readHeader } = await import('../../src/signature/index.js')
    const byScanning = (headers: Record<string, string | string[] | undefined>, name: string) => {
      const wanted = new Set([name.toLowerCase(), name.replace(/_/g, '-').toLowerCase()])
      for (const [key, value] of Object.entries(headers)) if (wanted.has(key.toLowerCase()) && value !== undefined) return value
      return undefined
    }
    const key = fc.constantFrom('x_yetto_signature', 'X_YETTO_SIGNATURE', 'x-yetto-signature', 'X-Yetto-Signature', 'x_yetto-signature', 'host', 'x_yetto_event')
    const value = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 2 }), fc.constant(undefined))
    fc.assert(
      fc.property(fc.dictionary(key, value), (headers) => {
        expect(readHeader(headers, 'X_YETTO_SIGNATURE')).toEqual(byScanning(headers, 'X_YETTO_SIGNATURE'))
      }),
    )
    expect(readHeader(new Headers({ 'X-Yetto-Signature': 'sha256=ab' }), 'X_YETTO_SIGNATURE')).toBe('sha256=ab')
  })
})
