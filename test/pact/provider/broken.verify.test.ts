import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { STATES, verifyProvider } from '../../../src/pact/index.js'
import { decodeContext, parseSignedRequest, pathParameterOf, stalenessOf } from '../../../src/signature/index.js'

/** Endpoints that each get one thing wrong; verification must fail on the interaction that names it. */
type Fault =
  | 'none'
  | 'wrong-version'
  | 'missing-title'
  | 'accepts-unsigned'
  | 'no-challenge-echo'
  | 'no-signature-check'
  | 'slow'
  | 'javascript-link'
  | 'non-ascii-content-type'
  | 'endless-body'
  | 'redirect'
  | 'constant-challenge'
  | 'gzip'
  | 'bom'
  | 'big-404'
const SECRET = 'builder-secret'
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A customer endpoint written from the docs, but for `fault`; POSTs to /state are recorded in `states`. */
async function endpoint(fault: Fault, states: { state: string; action: string }[] = [], stateStatus = 200): Promise<string> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown, type = 'application/json') => {
      // Both are fine for the help desk's client (fetch decodes gzip, its JSON parser skips a BOM).
      if (fault === 'gzip' && /gzip/.test(String(req.headers['accept-encoding']))) return void res.writeHead(status, { 'content-type': type, 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify(body)))
      if (fault === 'bom') return void res.writeHead(status, { 'content-type': type }).end(`\ufeff${JSON.stringify(body)}`)
      res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body))
    }
    // A 302 to a copy of the endpoint that answers well: the Pact core would follow it.
    if (fault === 'redirect' && !req.url!.startsWith('/moved/')) return void res.writeHead(302, { location: `http://${req.headers.host}/moved${req.url}` }).end()
    if (req.url!.startsWith('/moved/')) req.url = req.url!.slice('/moved'.length)
    if (req.method === 'POST' && req.url === '/state') {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        const { state, action } = JSON.parse(body) as { state: string; action: string }
        states.push({ state, action })
        json(stateStatus, {})
      })
      return
    }
    let result = parseSignedRequest({ path: req.url ?? '/', headers: req.headers, secret: SECRET })
    if (fault === 'no-signature-check') {
      // Checks freshness, decodes the context, and never looks at the signature.
      const decoded = decodeContext(pathParameterOf(req.url ?? '/'))
      if (!decoded.ok) return json(400, { error: decoded.reason })
      const stale = stalenessOf(decoded.context.requested_at, Date.now(), 300)
      if (stale) return json(401, { error: 'stale', message: stale })
      result = { ok: true, context: decoded.context, pathParameter: pathParameterOf(req.url ?? '/'), isChallenge: decoded.context.reason === 'challenge' }
    }
    if (!result.ok && !(fault === 'accepts-unsigned' && result.status === 401)) return json(result.status, { error: result.reason })
    const context = result.ok ? result.context : undefined
    // constant-challenge: the contract's recorded value, hard-coded instead of read.
    if (context?.reason === 'challenge') return json(200, { challenge: fault === 'no-challenge-echo' ? 'something else' : fault === 'constant-challenge' ? '5f0c3e1a9b7d4c2e8a6f1b3d5c7e9a0b' : context.challenge })
    if (context?.requester?.email.endsWith('.invalid')) return json(404, fault === 'big-404' ? { error: 'customer_not_found', debug: 'x'.repeat(6000) } : { error: 'customer_not_found' })
    const link = { type: 'link', title: 'CRM', href: 'https://crm.example.com/c/{{ data.customer.id }}' }
    const list = fault === 'missing-title' ? { type: 'list', items: [{ description: 'Plan', value: 'Pro' }] } : { type: 'list', title: 'Account', items: [{ description: 'Plan', value: 'Pro' }] }
    const answer = {
      version: fault === 'wrong-version' ? '2023-01-01' : '2024-03-06',
      customer: { id: 'c_1', name: 'Kelly' },
      // A good link first: Pact's arrayContaining alone is satisfied by it.
      sections: fault === 'javascript-link' ? [link, { type: 'link', title: 'Run', href: 'javascript:alert(1)' }, list] : [link, list],
    }
    if (fault === 'slow') return void setTimeout(() => json(200, answer), 3500)
    if (fault === 'non-ascii-content-type') return json(200, answer, 'application/json; charset=\u00fftf-8')
    if (fault === 'endless-body') {
      // What a runaway endpoint does: streams until the other side hangs up (the 1 GiB case).
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump)
      }
      res.write('{"version":"2024-03-06","padding":"')
      return pump()
    }
    json(200, answer)
  })
  return `${await listen(server)}/yetto`
}

const stateHandlers = Object.fromEntries(Object.values(STATES).map((state) => [state, () => undefined]))
const failing = async (fault: Fault) => (await verifyProvider({ providerBaseUrl: await endpoint(fault), secret: SECRET, stateHandlers })).interactions.filter((i) => !i.ok)

describe('verification names the fault of a broken provider', () => {
  it('a correct endpoint written from the docs passes, with its own secret', async () => {
    expect(await failing('none')).toEqual([])
  }, 30_000)

  it.each(['gzip', 'bom'] as const)('a %s answer the help desk accepts passes too', async (fault) => {
    expect(await failing(fault)).toEqual([])
  }, 30_000)

  it.each([
    ['wrong-version', 'a signed request for a known customer', /\$\.version/],
    ['missing-title', 'a signed request for a known customer', /\$\.sections/],
    ['accepts-unsigned', 'an unsigned request', /expected 401 but was 200/],
    ['no-challenge-echo', 'a signed set-up challenge', /^echoed a challenge it did not receive/m],
    ['constant-challenge', 'a signed set-up challenge', /^echoed a challenge it did not receive: the help desk sends a new random challenge each time$/m],
    ['redirect', 'a signed request for a known customer', /^answered HTTP 302 \(redirect to http:\/\/127\.0\.0\.1:\d+\/moved\/yetto\/\S+\); the help desk does not follow redirects$/m],
    // Fresh contexts: an endpoint that only checks freshness lets these through, and must fail.
    ['no-signature-check', 'an unsigned request', /expected 401 but was 200/],
    ['no-signature-check', 'a wrongly signed request', /expected 401 but was 200/],
    ['slow', 'a signed request for a known customer', /^answered in (3[5-9]\d\d|4[0-4]\d\d) ms; the help desk gives up after 3000 ms$/m],
    ['javascript-link', 'a signed request for a known customer', /^\$\.sections\[1\]\.href "javascript:alert\(1\)" is not a link the help desk opens/m],
    ['non-ascii-content-type', 'a signed request for a known customer', /content-type header has a non-ASCII or control byte: "application\/json; charset=\u00fftf-8"/],
    ['endless-body', 'a signed request for a known customer', /body passed 524288 bytes; the help desk treats it as too_large/],
    // The contract matches the whole body; the help desk's client reads 4096 bytes of it (http_status).
    ['big-404', 'a signed request for an unknown customer', /^the 404 answer's body is 6041 bytes and the help desk reads only the first 4096 of an error answer/m],
  ] as const)('%s fails "%s"', async (fault, interaction, detail) => {
    const failed = await failing(fault)
    expect(failed.map((i) => i.description)).toContain(interaction)
    expect(failed.find((i) => i.description === interaction)!.mismatches.join('\n')).toMatch(detail)
  }, 30_000)
})

describe('provider states go to the state-change URL', () => {
  it('sends a setup and a teardown POST for every interaction, in order, and passes', async () => {
    const received: { state: string; action: string }[] = []
    const url = await endpoint('none', received)
    const result = await verifyProvider({ providerBaseUrl: url, secret: SECRET, stateChangeUrl: url.replace(/\/yetto$/, '/state') })
    expect(result.interactions.filter((i) => !i.ok)).toEqual([])
    expect(result.interactions).toHaveLength(5)
    expect(received).toHaveLength(10)
    expect(received.filter((r) => r.action === 'setup').map((r) => r.state)).toEqual([STATES.knownCustomer, STATES.unknownCustomer, STATES.settingUp, STATES.knownCustomer, STATES.knownCustomer])
    expect(received.map((r) => r.action)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'setup' : 'teardown')))
    expect(result.stateChanges.map((c) => c.status)).toEqual(Array(10).fill(200))
  }, 30_000)

  it('a state-change URL answering 500 fails every interaction, naming the state and the status', async () => {
    const url = await endpoint('none', [], 500)
    const state = url.replace(/\/yetto$/, '/state')
    const result = await verifyProvider({ providerBaseUrl: url, secret: SECRET, stateChangeUrl: state })
    expect(result.ok).toBe(false)
    expect(result.interactions).toHaveLength(5)
    expect(result.interactions.every((i) => !i.ok)).toBe(true)
    expect(result.interactions[0]!.mismatches[0]).toBe(`provider state "${STATES.knownCustomer}" (setup): the state-change URL ${state} answered 500`)
    expect(result.interactions[2]!.mismatches[0]).toBe(`provider state "${STATES.settingUp}" (setup): the state-change URL ${state} answered 500`)
  }, 60_000)

  it('an unreachable state-change URL fails every interaction', async () => {
    const dead = createServer()
    const deadUrl = await listen(dead)
    servers.splice(servers.indexOf(dead), 1)
    await new Promise((resolve) => dead.close(resolve))
    const result = await verifyProvider({ providerBaseUrl: await endpoint('none'), secret: SECRET, stateChangeUrl: `${deadUrl}/state` })
    expect(result.interactions.every((i) => !i.ok)).toBe(true)
    expect(result.interactions[1]!.mismatches[0]).toBe(`provider state "${STATES.unknownCustomer}" (setup): the state-change URL ${deadUrl}/state could not be reached (ECONNREFUSED)`)
  }, 60_000)
})

describe('verifyProvider misuse', () => {
  it('throws typed errors for a bad URL, missing contracts and an unreachable provider', async () => {
    await expect(verifyProvider({ providerBaseUrl: 'not a url', secret: SECRET })).rejects.toMatchObject({ code: 'CKIT_PACT_INVALID_OPTION' })
    await expect(verifyProvider({ providerBaseUrl: 'http://127.0.0.1:9/', secret: SECRET, contracts: ['/nonexistent'] })).rejects.toMatchObject({ code: 'CKIT_PACT_INVALID_OPTION' })
    await expect(verifyProvider({ providerBaseUrl: 'http://127.0.0.1:9/', secret: SECRET })).rejects.toMatchObject({ code: 'CKIT_PACT_PROVIDER_UNREACHABLE', errorClass: 'remote' })
    await expect(verifyProvider({ providerBaseUrl: 'http://127.0.0.1:9/', secret: '' })).rejects.toMatchObject({ code: 'CKIT_SIG_MISSING_SECRET' })
  })
})
