import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock } from '../../src/mock/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'
import { deskPlugin } from '../../src/desk/index.js'
import { startCli } from '../helpers.js'

/** An internal service: what an attacker wants the playground's "fetch live" to read for them. */
let internal: Server
let internalUrl: string
beforeAll(async () => {
  internal = createServer((req, res) =>
    req.url?.startsWith('/html')
      ? res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>internal admin page INTERNAL-ONLY</h1>')
      : res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"INTERNAL-ONLY"}'),
  )
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve))
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => internal.close(resolve)))

/** A raw POST, so the Host header can be what a rebinding page's browser sends. */
function post(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port, pathname } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path: pathname, method: 'POST', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject).end(typeof body === 'string' ? body : JSON.stringify(body))
  })
}
const fetchBody = () => ({ url: `${internalUrl}/secrets`, secret: 's', email: 'kelly@example.com' })

describe('ckit playground (standalone) has the mock\'s defences (item 2)', () => {
  let run: Awaited<ReturnType<typeof startCli>>
  let page: string
  beforeAll(async () => {
    run = await startCli(['playground', '--port', '0', '--json'])
    page = (JSON.parse(run.firstLine) as { url: string }).url
  })
  afterAll(() => run.stop())

  it('a DNS-rebinding Host gets 421, and no internal body', async () => {
    const answer = await post(new URL('api/fetch', page).href, fetchBody(), { host: 'rebind.attacker.example', 'content-type': 'application/json' })
    expect(answer.status).toBe(421)
    expect(answer.body).not.toContain('INTERNAL-ONLY')
  })

  it('a cross-site "simple" request (text/plain, no intent header) gets 415', async () => {
    const { host } = new URL(page)
    const answer = await post(new URL('api/fetch', page).href, JSON.stringify(fetchBody()), { host, 'content-type': 'text/plain' })
    expect(answer.status).toBe(415)
  })

  it('fetching live from this machine works, and shows only a JSON body', async () => {
    const { host } = new URL(page)
    const json = await post(new URL('api/fetch', page).href, fetchBody(), { host, 'content-type': 'application/json' })
    expect(JSON.parse(json.body)).toMatchObject({ text: '{"token":"INTERNAL-ONLY"}' })
    const html = await post(new URL('api/fetch', page).href, { ...fetchBody(), url: `${internalUrl}/html` }, { host, 'content-type': 'application/json' })
    expect(html.body).not.toContain('INTERNAL-ONLY')
    expect(JSON.parse(html.body)).toMatchObject({ message: expect.stringMatching(/not JSON/) })
  })

  it('"Copy as curl" quotes the URL: pasting it runs no command', async () => {
    const { host } = new URL(page)
    const hostile = "http://127.0.0.1:1/x'$(whoami)'"
    const answer = await post(new URL('api/curl', page).href, { url: hostile, secret: 's', email: 'kelly@example.com' }, { host, 'content-type': 'application/json' })
    const { curl } = JSON.parse(answer.body) as { curl: string }
    // A stand-in curl prints its arguments, one per line: the shell must pass the URL through untouched.
    const args = execFileSync('sh', ['-c', `curl() { printf '%s\\n' "$@"; }; ${curl}`], { encoding: 'utf8' }).trimEnd().split('\n')
    const url = args[args.length - 1]!
    expect(url).toContain("x'$(whoami)'")
    expect(url.startsWith("http://127.0.0.1:1/x'$(whoami)'/")).toBe(true)
    expect(args[args.length - 2]).toMatch(/^X_YETTO_SIGNATURE: sha256=[0-9a-f]{64}$/)
    expect(buildSignedRequest({ url: hostile, secret: 's', context: { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 'p' }, conversation: { id: 'p' }, requester: { email: 'k@x.example' } } }).url).toMatch(/\$\(whoami\)/)
  })
})

describe('a mock reachable from other machines is not an open fetcher (item 6b)', () => {
  it('bound to 0.0.0.0 without a token, the playground refuses to fetch (403) and says why', async () => {
    const mock = await startMock({ port: 0, host: '0.0.0.0', secret: 'k', desk: deskPlugin })
    try {
      const answer = await post(`${mock.origin}/__admin/playground/api/fetch`, fetchBody(), { host: 'mock.internal.example', 'content-type': 'application/json' })
      expect(answer.status).toBe(403)
      expect(answer.body).not.toContain('INTERNAL-ONLY')
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'fetch_disabled' })
      expect(mock.warnings.join(' ')).toMatch(/fetches no URLs/)
      // Checking pasted text still works: only the server-side fetch is off.
      expect((await post(`${mock.origin}/__admin/playground/api/check`, { text: '{}' }, { host: 'x', 'content-type': 'application/json' })).status).toBe(200)
    } finally {
      await mock.close()
    }
  })

  it('with an admin token, only a caller holding it can fetch', async () => {
    const mock = await startMock({ port: 0, host: '0.0.0.0', secret: 'k', adminToken: 'admin-token-xyz', desk: deskPlugin })
    try {
      const url = `${mock.origin}/__admin/playground/api/fetch`
      expect((await post(url, fetchBody(), { host: 'x', 'content-type': 'application/json' })).status).toBe(401)
      expect(JSON.parse((await post(url, fetchBody(), { host: 'x', 'content-type': 'application/json', authorization: 'Bearer admin-token-xyz' })).body)).toMatchObject({ text: expect.stringContaining('INTERNAL-ONLY') })
    } finally {
      await mock.close()
    }
  })

  it('the shipped Dockerfile\'s command, run as written (no token in the environment), does not fetch', async () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
    const instructions = dockerfile.split('\n').filter((line) => !line.startsWith('#'))
    expect(instructions.join('\n')).not.toMatch(/--admin-token|CKIT_ADMIN_TOKEN/)
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(instructions.join('\n'))![1]!) as string[]
    const args = cmd.slice(cmd.indexOf('dist/cli/main.js') + 1)
    expect(args).toEqual(expect.arrayContaining(['--host', '0.0.0.0']))
    // Its port and log settings aside (a free port; logs off in the test), exactly as shipped.
    const at = (flag: string) => (args.includes(flag) ? args.indexOf(flag) + 1 : -1)
    const local = args.map((value, i) => (i === at('--port') ? '0' : i === at('--log') ? 'off' : value))
    // The image sets its port with ENV CKIT_PORT; here a free one.
    const run = await startCli([...local, ...(at('--port') === -1 ? ['--port', '0'] : []), '--json'])
    try {
      const { origin } = JSON.parse(run.firstLine) as { origin: string }
      const answer = await post(`${origin}/__admin/playground/api/fetch`, fetchBody(), { host: 'container.example', 'content-type': 'application/json' })
      expect(answer.status).toBe(403)
      expect(answer.body).not.toContain('INTERNAL-ONLY')
    } finally {
      await run.stop()
    }
  })
})

describe('the endpoint side does not import the help-desk side', () => {
  it('nothing under src/mock imports the help-desk side (client, render, automation, webhooks, conformance, pact, desk)', () => {
    const root = new URL('../../src/mock/', import.meta.url).pathname
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts'))
    const offending = files.flatMap((file) => {
      const text = readFileSync(join(file.parentPath, file.name), 'utf8')
      return [...text.matchAll(/(?:from\s+|import\()\s*'([^']+)'/g)].map((m) => m[1]!).filter((spec) => /\/(client|render|automation|webhooks|conformance|pact|desk|cli)\//.test(spec)).map((spec) => `${file.name}: ${spec}`)
    })
    expect(offending).toEqual([])
  })
})
