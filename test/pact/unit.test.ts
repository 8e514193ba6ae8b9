import { createServer, type Server } from 'node:http'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CONTRACT, contractContext, loadContract, SHIPPED_CONTRACTS, startContractProxy, STATES } from '../../src/pact/index.js'
import { headerProblem, lateMessage, linkProblems, neutraliseBody } from '../../src/pact/answer.js'
import { buildSignedRequest, parseSignedRequest } from '../../src/signature/index.js'
import { rawGet } from '../helpers.js'

const recorded = (email: string) => buildSignedRequest({ url: `http://127.0.0.1${CONTRACT.basePath}`, secret: CONTRACT.secret, context: contractContext(email) })

describe('answer checks', () => {
  it('every link must be http:, https: or mailto: (any case), not only one', () => {
    const body = { sections: [{ type: 'link', href: 'https://ok.example' }, { type: 'link', href: 'javascript:alert(1)' }, { type: 'link', href: 'MAILTO:a@b.example' }, { type: 'list', items: [] }, { type: 'link', href: 'HTTP://x' }, { type: 'link', href: 'data:text/html,x' }, { type: 'link' }] }
    expect(linkProblems(body)).toEqual([
      '$.sections[1].href "javascript:alert(1)" is not a link the help desk opens (http:, https: or mailto:)',
      '$.sections[5].href "data:text/html,x" is not a link the help desk opens (http:, https: or mailto:)',
      '$.sections[6].href undefined is not a link the help desk opens (http:, https: or mailto:)',
    ])
    expect(linkProblems({ error: 'x' })).toEqual([])
  })

  it('names a header with a non-ASCII or control byte, and passes plain ones', () => {
    expect(headerProblem({ 'content-type': 'application/json', vary: ['a', 'b'] })).toBeUndefined()
    expect(headerProblem({ 'content-type': 'application/json; charset=\u00e9' })).toBe('the answer\'s content-type header has a non-ASCII or control byte: "application/json; charset=é"')
    expect(headerProblem({ 'x-a': 'a\u001bb' })).toMatch(/x-a header/)
    expect(lateMessage(3511.6, 3000)).toBe('answered in 3512 ms; the help desk gives up after 3000 ms')
  })
})

describe('neutraliseBody (the verifier prints provider values straight to the terminal)', () => {
  it('shows control characters in JSON strings and keys as escapes, and leaves clean bodies byte for byte', () => {
    const hostile = Buffer.from(JSON.stringify({ version: '\u001b]0;pwned\u00072024', customer: { ['\u001b[2Jk']: ['\u009bx', 1, null] } }))
    expect(JSON.parse(neutraliseBody(hostile, 'application/json').toString())).toEqual({ version: '\\x1b]0;pwned\\x072024', customer: { '\\x1b[2Jk': ['\\x9bx', 1, null] } })
    const clean = Buffer.from('{ "version" : "2024-03-06", "n": 1.0 }')
    expect(neutraliseBody(clean, 'application/json')).toBe(clean)
    expect(neutraliseBody(Buffer.from('oops \u001b[31m'), 'text/plain').toString()).toBe('oops \\x1b[31m')
  })
})

describe('loadContract (pact verify refuses what is not a customer-endpoint pact)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-contracts-'))
  const file = (name: string, content: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }

  it('reads the shipped contract with a request key per interaction', () => {
    const loaded = loadContract(join(SHIPPED_CONTRACTS, 'help-desk-customer-endpoint.json'))
    expect(loaded.interactions.map((i) => i.description)).toEqual(['a signed request for a known customer', 'a signed request for an unknown customer', 'a signed set-up challenge', 'a wrongly signed request', 'an unsigned request'])
    expect(new Set(loaded.interactions.map((i) => i.key)).size).toBe(5)
    expect(loaded.interactions[4]!.key).toMatch(/^GET \/yetto\/\S+ -$/)
    expect(loaded.interactions[0]!.states).toEqual([STATES.knownCustomer])
  })

  it('refuses the webhook message pact, another provider, message interactions, no interactions and non-JSON', () => {
    expect(() => loadContract(join(SHIPPED_CONTRACTS, 'webhook-receiver-help-desk-webhooks.json'))).toThrow(expect.objectContaining({ code: 'CKIT_PACT_INVALID_OPTION', message: expect.stringMatching(/is a pact for provider "help-desk-webhooks"; ckit pact verify checks customer endpoints/) }))
    expect(() => loadContract(file('messages.json', { provider: { name: CONTRACT.provider }, interactions: [{ type: 'Asynchronous/Messages', description: 'm' }] }))).toThrow(/1 message interaction/)
    expect(() => loadContract(file('v3.json', { provider: { name: CONTRACT.provider }, messages: [{}] }))).toThrow(/message interaction/)
    expect(() => loadContract(file('empty.json', { provider: { name: CONTRACT.provider }, interactions: [] }))).toThrow(/no interactions/)
    expect(() => loadContract(file('bad.json', '{ nope'))).toThrow(expect.objectContaining({ code: 'CKIT_PACT_INVALID_OPTION', message: expect.stringMatching(/bad\.json is not a pact file/) }))
  })
})

describe('loadContract refuses terminal controls the Pact core would print raw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-contracts-'))
  type Pact = { interactions: { description: string; providerStates?: { name: string }[] }[] }
  const shipped = JSON.parse(readFileSync(join(SHIPPED_CONTRACTS, 'help-desk-customer-endpoint.json'), 'utf8')) as Pact
  const withEdit = (name: string, edit: (pact: Pact) => void) => {
    const pact = structuredClone(shipped)
    edit(pact)
    const path = join(dir, name)
    writeFileSync(path, JSON.stringify(pact))
    return path
  }

  it.each([
    ['an ESC in a description', (p: Pact): void => void (p.interactions[1]!.description = 'ok\u001b[1A\u001b[2K ✓ all passed'), /interaction 1 description "ok\\x1b\[1A\\x1b\[2K ✓ all passed" has a control character/],
    ['a C1 CSI in a provider state', (p: Pact): void => void (p.interactions[0]!.providerStates = [{ name: 'x\u009b2J' }]), /interaction "a signed request for a known customer": provider state "x\\x9b2J" has a control character/],
    ['a DEL in a description', (p: Pact): void => void (p.interactions[2]!.description = 'a\u007f'), /interaction 2 description/],
  ] as const)('%s', (_name, edit, message) => {
    expect(() => loadContract(withEdit('evil-customer-endpoint.json', edit))).toThrow(expect.objectContaining({ code: 'CKIT_PACT_INVALID_OPTION', message: expect.stringMatching(message) }))
  })

  it('takes plain text, non-ASCII letters included', () => {
    expect(loadContract(withEdit('fine-customer-endpoint.json', (p) => void (p.interactions[0]!.description = 'une requête signée'))).interactions[0]!.description).toBe('une requête signée')
  })
})

describe('startContractProxy (fast, with a short budget)', () => {
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
  const provider = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  const request = recorded(CONTRACT.knownEmail)

  it('relays a timely answer as it is, with the request re-signed for the provider', async () => {
    let seen: boolean | undefined
    const base = await provider((req, res) => {
      if (req.url!.endsWith('/escape')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"\\u001b[2J"}')
      seen = parseSignedRequest({ path: req.url!, headers: req.headers, secret: 'p' }).ok
      res.writeHead(200, { 'content-type': 'application/json', 'x-extra': '1' }).end('{"version":"2024-03-06"}')
    })
    const proxy = await startContractProxy({ providerBaseUrl: `${base}/yetto`, secret: 'p' })
    try {
      const answer = await fetch(`${proxy.url}${new URL(request.url).pathname}`, { headers: request.headers })
      expect(answer.status).toBe(200)
      expect(answer.headers.get('x-extra')).toBe('1')
      expect(await answer.text()).toBe('{"version":"2024-03-06"}')
      expect(seen).toBe(true)
      expect(proxy.exchanges).toMatchObject([{ recorded: 'valid', status: 200, findings: [] }])
      expect(await (await fetch(`${proxy.url}/yetto/escape`)).text()).toBe('{"version":"\\\\x1b[2J"}')
    } finally {
      await proxy.close()
    }
  })

  it('does not forward hop-by-hop headers (RFC 9110 §7.6.1) either way, nor those the Connection header names', async () => {
    let forwarded: Record<string, unknown> = {}
    const base = await provider((req, res) => {
      forwarded = req.headers
      res.writeHead(200, { 'content-type': 'application/json', trailer: 'x-checksum', 'x-answer-hop': '1', connection: 'x-answer-hop', 'x-answer-kept': '1' }).end('{"version":"2024-03-06"}')
    })
    const proxy = await startContractProxy({ providerBaseUrl: `${base}/yetto`, secret: 'p' })
    try {
      // Over a raw socket: Node's own client refuses to send a Trailer header on a GET.
      const hopByHop = { TE: 'trailers', Trailer: 'x-checksum', Upgrade: 'h2c', Connection: 'x-next-hop-only', 'X-Next-Hop-Only': 'secret', 'X-Kept': 'yes' }
      const answer = await rawGet(`${proxy.url}${new URL(request.url).pathname}`, { ...request.headers, ...hopByHop }, 5000)
      expect(answer.status).toBe(200)
      expect(forwarded['x-kept']).toBe('yes')
      for (const name of ['te', 'trailer', 'upgrade', 'x-next-hop-only']) expect(forwarded[name], name).toBeUndefined()
      const head = answer.bytes.toString('latin1').split('\r\n\r\n')[0]!.toLowerCase()
      expect(head).toContain('x-answer-kept: 1')
      for (const name of ['trailer', 'x-answer-hop']) expect(head, name).not.toContain(`\r\n${name}:`)
    } finally {
      await proxy.close()
    }
  })

  it('answers 502 with the reason for a late answer, and gives up on a hanging one', async () => {
    const base = await provider((req, res) => {
      if (req.url!.includes('hang')) return
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 150)
    })
    const proxy = await startContractProxy({ providerBaseUrl: base, secret: 'p', budgetMs: 50 })
    try {
      const late = await fetch(`${proxy.url}/yetto/abc`)
      expect(late.status).toBe(502)
      expect(((await late.json()) as { message: string }).message).toMatch(/^answered in \d{3,4} ms; the help desk gives up after 50 ms$/)
      expect(late.headers.get('x-ckit-finding')).toMatch(/^answered in/)
      const hang = await fetch(`${proxy.url}/yetto/hang`)
      expect(((await hang.json()) as { message: string }).message).toBe('no complete answer within 1550 ms; the help desk gives up after 50 ms')
    } finally {
      await proxy.close()
    }
  })

  it('fails a 404 whose customer_not_found lies past the 4096 bytes the client reads of a refusal (big or padded), and relays one within it', async () => {
    const bodies: Record<string, string> = {
      big: JSON.stringify({ error: 'customer_not_found', debug: 'x'.repeat(6000) }),
      padded: ' '.repeat(5000) + '{"error":"customer_not_found"}',
      plain: '{"error":"customer_not_found","message":"no record"}',
    }
    const base = await provider((req, res) => void res.writeHead(404, { 'content-type': 'application/json' }).end(bodies[req.url!.split('/').pop()!]))
    const proxy = await startContractProxy({ providerBaseUrl: base, secret: 'p' })
    try {
      for (const kind of ['big', 'padded']) {
        const answer = await fetch(`${proxy.url}/yetto/${kind}`)
        expect(answer.status, kind).toBe(502)
        expect(((await answer.json()) as { message: string }).message, kind).toMatch(/^the 404 answer's body is \d+ bytes and the help desk reads only the first 4096 of an error answer.*\(http_status\), not .*\(not_found\)$/)
      }
      const plain = await fetch(`${proxy.url}/yetto/plain`)
      expect(plain.status).toBe(404)
      expect(await plain.text()).toBe(bodies.plain)
      expect(proxy.exchanges.map((e) => e.findings.length)).toEqual([1, 1, 0])
    } finally {
      await proxy.close()
    }
  })

  it('refuses a declared oversize body without reading it', async () => {
    const base = await provider((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1024 ** 3) })
      res.write('{')
    })
    const proxy = await startContractProxy({ providerBaseUrl: base, secret: 'p' })
    try {
      const answer = await fetch(`${proxy.url}/yetto/abc`)
      expect(((await answer.json()) as { message: string }).message).toBe("the answer declares 1073741824 bytes, over the help desk's 524288-byte limit (too_large)")
    } finally {
      await proxy.close()
    }
  })

  it('runs in-process state handlers and records each call; a throwing one answers 500 naming the state', async () => {
    const base = await provider((_req, res) => res.end())
    const calls: string[] = []
    const proxy = await startContractProxy({ providerBaseUrl: base, secret: 'p', stateHandlers: { a: { setup: () => calls.push('setup a'), teardown: () => calls.push('teardown a') }, b: () => { throw new Error('boom') } } })
    try {
      const post = (body: unknown) => fetch(proxy.stateUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expect((await post({ state: 'a', action: 'setup' })).status).toBe(200)
      expect((await post({ state: 'a', action: 'teardown' })).status).toBe(200)
      const failed = await post({ state: 'b', action: 'setup' })
      expect(failed.status).toBe(500)
      expect(((await failed.json()) as { message: string }).message).toBe('provider state "b" (setup): the state handler failed (boom)')
      expect(calls).toEqual(['setup a', 'teardown a'])
      expect(proxy.stateCalls.map((c) => [c.state, c.action, c.failure === undefined])).toEqual([['a', 'setup', true], ['a', 'teardown', true], ['b', 'setup', false]])
      expect((await fetch(proxy.stateUrl, { method: 'POST', body: '{ nope' })).status).toBe(400)
    } finally {
      await proxy.close()
    }
  })

  const challengeRequest = buildSignedRequest({ url: `http://127.0.0.1${CONTRACT.basePath}`, secret: CONTRACT.secret, context: { reason: 'challenge', requested_at: CONTRACT.requestedAt, inbox: { slug: 'connection-test' }, challenge: CONTRACT.challenge } })
  const through = async (base: string, path: string, headers: Record<string, string> = {}) => {
    const proxy = await startContractProxy({ providerBaseUrl: `${base}/yetto`, secret: 'p' })
    try {
      const answer = await fetch(`${proxy.url}${path}`, { headers, redirect: 'manual' })
      // Bytes, not text(): a text decoder would hide a BOM.
      const text = Buffer.from(await answer.arrayBuffer()).toString('latin1')
      return { status: answer.status, finding: answer.headers.get('x-ckit-finding'), encoding: answer.headers.get('content-encoding'), text, exchanges: proxy.exchanges }
    } finally {
      await proxy.close()
    }
  }

  it('fails any 3xx: the help desk never follows a redirect, and the verifier must not either', async () => {
    const base = await provider((req, res) => {
      if (req.url!.startsWith('/elsewhere')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"2024-03-06"}')
      res.writeHead(req.url!.includes('perm') ? 308 : 302, { location: `http://127.0.0.1:${(req.socket.address() as AddressInfo).port}/elsewhere` }).end()
    })
    const found = await through(base, '/yetto/abc')
    expect(found.status).toBe(502)
    expect(found.finding).toBe(`answered HTTP 302 (redirect to ${base}/elsewhere); the help desk does not follow redirects`)
    expect((await through(base, '/yetto/perm')).finding).toMatch(/^answered HTTP 308 \(redirect to .*\/elsewhere\); the help desk does not follow redirects$/)
  })

  it('sends a fresh random challenge, fails an echo of anything else, and hands the verifier the recorded one for a true echo', async () => {
    const sent: string[] = []
    const base = await provider((req, res) => {
      const result = parseSignedRequest({ path: req.url!, headers: req.headers, secret: 'p' })
      const challenge = result.ok ? result.context.challenge! : ''
      sent.push(challenge)
      const echo = req.url!.includes('/const/') ? CONTRACT.challenge : challenge
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: echo }))
    })
    const path = new URL(challengeRequest.url).pathname.replace(/^\/yetto/, '')
    const good = await through(base, `/yetto${path}`, challengeRequest.headers)
    expect(good.status).toBe(200)
    expect(JSON.parse(good.text)).toEqual({ challenge: CONTRACT.challenge })
    const again = await through(base, `/yetto${path}`, challengeRequest.headers)
    expect(again.status).toBe(200)
    expect(sent[0]).toMatch(/^[0-9a-f]{32}$/)
    expect(sent[0]).not.toBe(CONTRACT.challenge)
    expect(sent[1]).not.toBe(sent[0])
    // The recorded challenge, hard-coded: what a copy-paste endpoint does.
    const constant = await through(`${base}/const`, `/yetto${path}`, challengeRequest.headers)
    expect(constant.status).toBe(502)
    expect(constant.finding).toBe('echoed a challenge it did not receive: the help desk sends a new random challenge each time')
  })

  it('decodes gzip, deflate and br and strips a UTF-8 BOM, relaying identity-encoded; the 512 KiB cap counts decoded bytes', async () => {
    const json = Buffer.from('{"version":"2024-03-06"}')
    let acceptEncoding: string | undefined
    const base = await provider((req, res) => {
      acceptEncoding = req.headers['accept-encoding']
      const kind = req.url!.split('/').pop()
      const encoded = kind === 'gzip' ? gzipSync(json) : kind === 'deflate' ? deflateSync(json) : kind === 'br' ? brotliCompressSync(json) : kind === 'bom' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]) : kind === 'bomb' ? gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)) : kind === 'bad' ? Buffer.from('not gzip') : json
      const encoding = ['gzip', 'deflate', 'br', 'bomb', 'bad'].includes(kind!) ? (kind === 'bomb' || kind === 'bad' ? 'gzip' : kind) : kind === 'zstd' ? 'zstd' : undefined
      res.writeHead(200, { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) }).end(encoded)
    })
    for (const kind of ['gzip', 'deflate', 'br', 'bom']) {
      const answer = await through(base, `/yetto/${kind}`)
      expect([kind, answer.status, answer.encoding, answer.text]).toEqual([kind, 200, null, json.toString()])
    }
    expect(acceptEncoding).toBe('gzip, deflate, br')
    const bomb = await through(base, '/yetto/bomb')
    expect(bomb.status).toBe(502)
    expect(bomb.finding).toBe("the answer's body passed 524288 bytes; the help desk treats it as too_large (decoded from gzip)")
    expect((await through(base, '/yetto/bad')).finding).toMatch(/^the answer's gzip body cannot be decoded/)
    expect((JSON.parse((await through(base, '/yetto/zstd')).text) as { message: string }).message).toBe('the answer\'s content-encoding "zstd" is not one the help desk decodes (gzip, deflate, br)')
  })

  it('gives a hanging state-change URL a bounded wait, once: a retry of it fails at once', async () => {
    let received = 0
    const base = await provider(() => void (received += 1))
    const proxy = await startContractProxy({ providerBaseUrl: base, secret: 'p', stateChangeUrl: `${base}/state`, stateTimeoutMs: 300 })
    try {
      const post = () => fetch(proxy.stateUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 's', action: 'setup' }) })
      const started = performance.now()
      const first = await post()
      expect(first.status).toBe(500)
      expect(((await first.json()) as { message: string }).message).toBe(`provider state "s" (setup): no answer within 300 ms from the state-change URL ${base}/state`)
      const retry = await post()
      expect(retry.status).toBe(500)
      expect(performance.now() - started).toBeLessThan(1000)
      expect(received).toBe(1)
      expect(proxy.stateCalls.map((c) => c.failure)).toEqual([`provider state "s" (setup): no answer within 300 ms from the state-change URL ${base}/state`, `provider state "s" (setup): no answer within 300 ms from the state-change URL ${base}/state`])
    } finally {
      await proxy.close()
    }
  })

  it('refuses bad options with typed errors', async () => {
    await expect(startContractProxy({ providerBaseUrl: 'ftp://x', secret: 'p' })).rejects.toMatchObject({ code: 'CKIT_PACT_INVALID_OPTION' })
    await expect(startContractProxy({ providerBaseUrl: 'http://127.0.0.1:1', secret: '' })).rejects.toMatchObject({ code: 'CKIT_SIG_MISSING_SECRET' })
  })
})
