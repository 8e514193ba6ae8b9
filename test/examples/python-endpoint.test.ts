import { execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSignedRequest, encodeContext, sign } from '../../src/signature/index.js'
import { cli, spawnUntil } from '../helpers.js'

/**
 * examples/python-endpoint: a customer endpoint in another language, held to the same bar as the
 * Node examples — `ckit pact verify` and `ckit conformance` pass it — while the same program with
 * its signature check switched off fails both.
 */
const SERVER = new URL('../../examples/python-endpoint/server.py', import.meta.url).pathname
const VECTORS = new URL('../../contracts/vectors/request-signature.json', import.meta.url).pathname
const SECRET = 'python-secret'
const run = promisify(execFile)

async function start(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const { match, child } = await spawnUntil(SERVER, { PORT: '0', YETTO_SECRET: SECRET, ENABLE_PACT_STATES: '1', ...env }, /customer endpoint on (\S+)/, 'python3')
  return { url: match, child }
}

const pactVerify = async (url: string) => {
  const run = await cli(['pact', 'verify', '--provider-base-url', url, '--secret', SECRET, '--state-change-url', `${new URL(url).origin}/_pact/state`, '--json'])
  return { code: run.code, failing: (JSON.parse(run.stdout) as { interactions: { description: string; ok: boolean }[] }).interactions.filter((i) => !i.ok).map((i) => i.description) }
}
const conformance = async (url: string) => {
  const run = await cli(['conformance', url, '--secret', SECRET, '--requests', '2', '--concurrency', '2', '--json'])
  return { code: run.code, failing: (JSON.parse(run.stdout) as { checks: { name: string; status: string }[] }).checks.filter((c) => c.status === 'fail').map((c) => c.name) }
}

/** One GET with the given signature header lines (repeated lines stay separate on the wire). */
function get(url: string, signatures: string[]): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }))
    })
    if (signatures.length > 0) req.setHeader('X_YETTO_SIGNATURE', signatures)
    req.on('error', reject).end()
  })
}

describe('examples/python-endpoint', () => {
  let endpoint: { url: string; child: ChildProcess }
  beforeAll(async () => {
    endpoint = await start({})
  })
  afterAll(() => {
    endpoint.child.kill()
  })

  it('passes ckit pact verify with its own secret and state-change route', async () => {
    expect(await pactVerify(endpoint.url)).toEqual({ code: 0, failing: [] })
  }, 60_000)

  it('passes every ckit conformance check', async () => {
    expect(await conformance(endpoint.url)).toEqual({ code: 0, failing: [] })
  }, 30_000)

  it('answers each refusal with its status and JSON error', async () => {
    const context = (offsetSeconds: number) => ({ reason: 'conversation_viewed' as const, requested_at: new Date(Date.now() + offsetSeconds * 1000).toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'kelly@example.com' } })
    const fresh = buildSignedRequest({ url: endpoint.url, secret: SECRET, context: context(0) })
    const stale = buildSignedRequest({ url: endpoint.url, secret: SECRET, context: context(-301) })
    const future = buildSignedRequest({ url: endpoint.url, secret: SECRET, context: context(3600) })
    const notJson = Buffer.from('not json').toString('base64url')
    expect(await get(fresh.url, [fresh.signature])).toMatchObject({ status: 200, body: { version: '2024-03-06' } })
    expect(await get(fresh.url, [fresh.signature.toUpperCase().replace('SHA256=', 'sha256=')])).toMatchObject({ status: 200 })
    expect(await get(fresh.url, [])).toMatchObject({ status: 401, body: { error: 'missing' } })
    expect(await get(fresh.url, [sign('another-secret', fresh.pathParameter)])).toMatchObject({ status: 401, body: { error: 'mismatch' } })
    expect(await get(fresh.url, [fresh.signature.slice(0, -1)])).toMatchObject({ status: 401, body: { error: 'malformed' } })
    expect(await get(fresh.url, [fresh.signature, fresh.signature])).toMatchObject({ status: 401, body: { error: 'malformed' } })
    expect(await get(stale.url, [stale.signature])).toMatchObject({ status: 401, body: { error: 'stale' } })
    expect(await get(future.url, [future.signature])).toMatchObject({ status: 401, body: { error: 'stale' } })
    expect(await get(`${endpoint.url}/${notJson}`, [sign(SECRET, notJson)])).toMatchObject({ status: 400, body: { error: 'malformed_context' } })
    const unknown = encodeContext({ ...context(0), requester: { email: 'nobody@unknown.invalid' } })
    expect(await get(`${endpoint.url}/${unknown}`, [sign(SECRET, unknown)])).toEqual({ status: 404, body: { error: 'customer_not_found' } })
  })

  it('its own verification agrees with every request-signature vector, and notices a vector that disagrees', async () => {
    const { stdout } = await run('python3', [SERVER, '--check-vectors', VECTORS])
    const count = (JSON.parse(readFileSync(VECTORS, 'utf8')) as unknown[]).length
    expect(stdout).toContain(`${count} of ${count} vectors agree`)
    const flipped = join(mkdtempSync(join(tmpdir(), 'ckit-python-')), 'flipped.json')
    const [first, ...rest] = JSON.parse(readFileSync(VECTORS, 'utf8')) as { expected: unknown }[]
    writeFileSync(flipped, JSON.stringify([{ ...first, expected: { ok: false, reason: 'stale', status: 401 } }, ...rest]))
    await expect(run('python3', [SERVER, '--check-vectors', flipped])).rejects.toMatchObject({ code: 1 })
  })

  it('refuses to start without a secret, saying which variable to set', async () => {
    const failed = await run('python3', [SERVER], { env: { ...process.env, YETTO_SECRET: '' } }).then(() => undefined, (error: { code: number; stderr: string }) => error)
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('set YETTO_SECRET') })
    expect(failed?.stderr).not.toContain('Traceback')
  })
})

describe('examples/python-endpoint with its signature check switched off (the broken target)', () => {
  let endpoint: { url: string; child: ChildProcess }
  beforeAll(async () => {
    endpoint = await start({ DANGEROUSLY_SKIP_SIGNATURE_CHECK: '1' })
  })
  afterAll(() => {
    endpoint.child.kill()
  })

  it('fails ckit pact verify on the unsigned and the wrongly signed request', async () => {
    const verdict = await pactVerify(endpoint.url)
    expect(verdict.code).toBe(1)
    expect(verdict.failing.sort()).toEqual(['a wrongly signed request', 'an unsigned request'])
  }, 60_000)

  it('fails ckit conformance on rejects-unsigned, rejects-forged and rejects-stale', async () => {
    expect(await conformance(endpoint.url)).toEqual({ code: 1, failing: ['rejects-unsigned', 'rejects-forged', 'rejects-stale'] })
  }, 30_000)
})
