import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startProxy, type ProxyVerdict, type RunningProxy } from '../../src/desk/index.js'
import { forwardableHeaders } from '../../src/http/headers.js'
import { buildSignedRequest } from '../../src/signature/index.js'
import { printVerdict } from '../../src/cli/commands/proxy.js'
import type { Io } from '../../src/cli/io.js'
import { startCli } from '../helpers.js'

/** An upstream that answers what `answer` says and remembers every path and header set it got. */
interface Upstream {
  readonly url: string
  readonly seen: { path: string; headers: IncomingHttpHeaders }[]
}
const servers: Server[] = []
const proxies: RunningProxy[] = []
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close()
  for (const s of servers.splice(0)) await new Promise((resolve) => (s.closeAllConnections(), s.close(resolve)))
})

async function upstream(answer: (path: string) => { status: number; body: string; headers?: Record<string, string> }): Promise<Upstream> {
  const seen: Upstream['seen'] = []
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers })
    const { status, body, headers } = answer(req.url ?? '')
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/** A raw request: fetch would normalise the path, which is exactly what an attacker does not do. */
function raw(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject).end()
  })
}

const VALID = JSON.stringify({ version: '2024-03-06', customer: { id: 'c1' }, sections: [] })
const context = { reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } }

describe('ckit proxy / ckit record: a request cannot climb out of the upstream path', () => {
  it('refuses (400) a path parameter that is not base64url, and forwards nothing', async () => {
    const internal = await upstream((path) => (path.startsWith('/internal') ? { status: 200, body: '{"secret":"internal-only"}' } : { status: 200, body: VALID }))
    const proxy = await startProxy({ upstream: `${internal.url}/api/v1/yetto`, port: 0 })
    proxies.push(proxy)
    for (const attack of ['/..\\..\\..\\internal\\secrets', '/%2e%2e%2f%2e%2e%2f%2e%2e%2finternal%2fsecrets', '/%2e%2e']) {
      const answer = await raw(proxy.url, attack)
      expect(answer.status, attack).toBe(400)
      expect(answer.body).not.toContain('internal-only')
    }
    expect(internal.seen).toEqual([])
    // The help desk's own requests still go through, appended to the configured path.
    const signed = buildSignedRequest({ url: proxy.url, secret: 'k', context })
    expect((await fetch(signed.url, { headers: signed.headers })).status).toBe(200)
    expect(internal.seen[0]!.path).toMatch(/^\/api\/v1\/yetto\/[A-Za-z0-9_-]+$/)
  })

  it('answers a DNS-rebinding Host with 421, as the mock does', async () => {
    const target = await upstream(() => ({ status: 200, body: VALID }))
    const proxy = await startProxy({ upstream: target.url, port: 0 })
    proxies.push(proxy)
    const signed = new URL(buildSignedRequest({ url: proxy.url, secret: 'k', context }).url)
    expect((await raw(proxy.url, signed.pathname, { host: 'rebind.attacker.example' })).status).toBe(421)
    expect((await raw(proxy.url, signed.pathname, { host: `localhost:${signed.port}` })).status).toBe(200)
    expect(target.seen).toHaveLength(1)
  })
})

describe('ckit proxy judges every status as the help desk does (item 9)', () => {
  it.each([
    [500, '{"oops":true}', {}],
    [404, '{"error":"nope"}', {}],
    [302, '', { location: 'https://elsewhere.example/' }],
  ])('an upstream %i is refused: logged not ok, and --errors answers 502', async (status, body, headers) => {
    const target = await upstream(() => ({ status, body, headers }))
    const verdicts: ProxyVerdict[] = []
    const proxy = await startProxy({ upstream: target.url, port: 0, errors: true, onExchange: (v) => void verdicts.push(v) })
    proxies.push(proxy)
    const signed = buildSignedRequest({ url: proxy.url, secret: 'k', context })
    expect((await fetch(signed.url, { headers: signed.headers, redirect: 'manual' })).status).toBe(502)
    expect(verdicts[0]).toMatchObject({ status, ok: false, answered: 'problem', problems: [expect.objectContaining({ message: expect.stringContaining(`HTTP ${status}`) })] })
  })

  it('the unknown-customer answer (404 customer_not_found) is an answer the help desk shows, not a failure', async () => {
    const target = await upstream(() => ({ status: 404, body: '{"error":"customer_not_found"}' }))
    const verdicts: ProxyVerdict[] = []
    const proxy = await startProxy({ upstream: target.url, port: 0, errors: true, onExchange: (v) => void verdicts.push(v) })
    proxies.push(proxy)
    const signed = buildSignedRequest({ url: proxy.url, secret: 'k', context })
    expect((await fetch(signed.url, { headers: signed.headers })).status).toBe(404)
    expect(verdicts[0]).toMatchObject({ status: 404, ok: true, answered: 'passed-through' })
  })

  it('does not forward Proxy-Authorization, or a header the client named in Connection', async () => {
    const target = await upstream(() => ({ status: 200, body: VALID }))
    const proxy = await startProxy({ upstream: target.url, port: 0 })
    proxies.push(proxy)
    const signed = new URL(buildSignedRequest({ url: proxy.url, secret: 'k', context }).url)
    await raw(proxy.url, signed.pathname, { 'proxy-authorization': 'Basic cHJveHk6cGFzcw==', connection: 'keep-alive, x-hop-only', 'x-hop-only': 'for the proxy', 'x-end-to-end': 'kept' })
    const got = target.seen[0]!.headers
    expect(got['proxy-authorization']).toBeUndefined()
    expect(got['x-hop-only']).toBeUndefined()
    expect(got['x-end-to-end']).toBe('kept')
  })

  it('forwardableHeaders drops every RFC 9110 hop-by-hop header and those named in Connection', () => {
    const hop = { connection: 'X-A , x-b', 'keep-alive': '1', 'proxy-connection': '1', 'proxy-authenticate': '1', 'proxy-authorization': '1', te: 'trailers', trailer: 'x', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'x-a': '1', 'x-b': '1' }
    expect(forwardableHeaders({ ...hop, Accept: 'application/json', 'x-multi': ['1', '2'], host: 'h' }, ['host'])).toEqual({ accept: 'application/json', 'x-multi': '1, 2' })
  })
})

describe('ckit proxy prints nothing of the upstream that drives a terminal (item 7)', () => {
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/
  const hostile = JSON.stringify({ version: '2024-03-06', customer: {}, sections: [{ type: 'link', title: '{% evil\u009b2J\u009d0;pwned %}', href: 'https://x.example' }] })

  it('a Liquid tag name with C1 controls (U+009B, U+009D) is escaped in --json lines', async () => {
    const target = await upstream(() => ({ status: 200, body: hostile }))
    const run = await startCli(['proxy', '--upstream', target.url, '--port', '0', '--json'])
    let line: string
    try {
      const listening = (JSON.parse(run.firstLine) as { listening: string }).listening
      const signed = buildSignedRequest({ url: listening, secret: 'k', context })
      await fetch(signed.url, { headers: signed.headers })
      for (let waited = 0; run.out.stdout.split('\n').length < 3 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20))
      line = run.out.stdout.split('\n')[1]!
    } finally {
      await run.stop()
    }
    expect(line).not.toMatch(control)
    // Still JSON, and it still says what the upstream sent.
    expect((JSON.parse(line) as ProxyVerdict).problems[0]!.message).toContain('evil\u009b2J\u009d0')
  })

  it('and in text lines', async () => {
    const target = await upstream(() => ({ status: 200, body: hostile }))
    let written = ''
    const io = { stdout: { write: (s: string) => void (written += s) } } as unknown as Io
    const proxy = await startProxy({ upstream: target.url, port: 0, onExchange: (v) => printVerdict(io, v, false, '  saved \u009b2J') })
    proxies.push(proxy)
    const signed = buildSignedRequest({ url: proxy.url, secret: 'k', context })
    await fetch(signed.url, { headers: signed.headers })
    expect(written).toContain('evil')
    expect(written).not.toMatch(control)
    expect(written.split('\n')).toHaveLength(2)
  })
})
