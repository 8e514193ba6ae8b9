import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createRecorder, startProxy, type RecordOutcome, type RunningProxy } from '../../src/desk/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'
import { cli, startCli } from '../helpers.js'

const SECRET = 'record-secret-value-1234'
const dirs: string[] = []
const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const temporary = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-record-attack-'))
  dirs.push(dir)
  return dir
}

/** An endpoint whose answer is built from the request: real ones echo debug links more often than one would like. */
async function endpoint(build: (signature: string) => unknown): Promise<string> {
  const server: Server = createServer((req, res) => {
    const signature = String(req.headers['x_yetto_signature'] ?? '')
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(build(signature)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

async function recordOnce(url: string, options: Parameters<typeof createRecorder>[0], email = 'kelly@example.com'): Promise<RecordOutcome> {
  const record = createRecorder(options)
  let outcome: RecordOutcome | undefined
  const proxy: RunningProxy = await startProxy({ upstream: url, port: 0, secret: SECRET, onExchange: (v, r, request) => void (outcome = record(v, r, request)) })
  closers.push(() => proxy.close())
  const signed = buildSignedRequest({ url: proxy.url, secret: SECRET, context: { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email } } })
  await fetch(signed.url, { headers: signed.headers })
  return outcome!
}

const everythingWritten = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n')

describe('ckit record never writes the secret or a live signature, in any file (item 4)', () => {
  it.each([
    ['the signature header, echoed in a section link', (signature: string) => [{ type: 'link', title: 'debug', href: `https://debug.example/?sig=${encodeURIComponent(signature)}` }], (written: string, _s: string) => expect(written).not.toMatch(/sha256/)],
    ['the bare signature hex, echoed in a section', (signature: string) => [{ type: 'list', title: 'debug', items: [{ description: 'mac', value: signature.replace('sha256=', '') }] }], (written: string, s: string) => expect(written).not.toContain(s)],
    ['the secret, in a section title', () => [{ type: 'link', title: `key ${SECRET}`, href: 'https://x.example' }], (written: string, _s: string) => expect(written).not.toContain(SECRET)],
  ])('%s: nothing is written', async (_name, sections, check) => {
    let seen = ''
    const url = await endpoint((signature) => ((seen = signature.replace('sha256=', '')), { version: '2024-03-06', customer: { id: 'c1', name: 'Kelly' }, sections: sections(signature) }))
    const dir = temporary()
    const outcome = await recordOnce(url, { dir, secret: SECRET })
    expect(outcome).toMatchObject({ skipped: 'kelly@example.com', reason: expect.stringMatching(/sections\.json would contain a signature or the secret/) })
    check(everythingWritten(dir), seen)
    expect(existsSync(join(dir, 'customers', 'kelly@example.com.json'))).toBe(false)
  })
})

describe('ckit record --redact', () => {
  const answer = { version: '2024-03-06', customer: { id: 'c1', stripe_id: 'cus_live_123', email: 'kelly@example.com' }, sections: [{ type: 'link', title: 'Stripe', href: 'https://dashboard.stripe.com/customers/cus_live_123' }] }

  it('takes pointers from the response root (/customer/stripe_id, /sections/0/href), the style the docs use', async () => {
    const dir = temporary()
    const outcome = await recordOnce(await endpoint(() => answer), { dir, redact: ['/customer/stripe_id', '/sections/0/href', '/email'] })
    expect(outcome).toEqual({ saved: join(dir, 'customers', 'kelly@example.com.json') })
    expect(everythingWritten(dir)).not.toContain('cus_live_123')
    expect(JSON.parse(readFileSync(join(dir, 'customers', 'kelly@example.com.json'), 'utf8'))).toEqual({ id: 'c1', stripe_id: '[redacted]', email: '[redacted]' })
  })

  it('reports a pointer that matches nothing instead of ignoring it', async () => {
    const outcome = await recordOnce(await endpoint(() => answer), { dir: temporary(), redact: ['/customer/stripe', '/customer/stripe_id'] })
    expect(outcome).toMatchObject({ saved: expect.any(String), unmatched: ['/customer/stripe'] })
  })

  it('ckit record warns on stderr about a pointer that matched nothing (the value stayed in place)', async () => {
    const upstream = await endpoint(() => answer)
    const dir = temporary()
    const run = await startCli(['record', '--upstream', upstream, '--out', dir, '--port', '0', '--json', '--redact', '/customer/stripe', '--redact', '/customer/email'])
    try {
      const listening = (JSON.parse(run.firstLine) as { listening: string }).listening
      const signed = buildSignedRequest({ url: listening, secret: SECRET, context: { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } } })
      await fetch(signed.url, { headers: signed.headers })
      await expect.poll(() => run.out.stdout.split('\n').length).toBeGreaterThan(2)
    } finally {
      await run.stop()
    }
    expect(run.out.stderr).toMatch(/warning: --redact \/customer\/stripe matched nothing in the answer for kelly@example\.com/)
    expect(run.out.stderr).not.toMatch(/--redact \/customer\/email matched nothing/)
  })

  it('refuses a pointer that is not one, or that would blank the whole customer', () => {
    expect(() => createRecorder({ dir: temporary(), redact: ['customer.email'] })).toThrow(expect.objectContaining({ code: 'CKIT_DESK_INVALID_OPTION', option: 'redact' }))
    expect(() => createRecorder({ dir: temporary(), redact: ['/customer'] })).toThrow(/^redact \/customer would replace the whole customer/)
  })

  it('says it in flag terms on the command line: the library names the option, the CLI the flag', async () => {
    const run = await cli(['record', '--upstream', 'http://127.0.0.1:9/', '--out', temporary(), '--redact', 'customer.email'])
    expect(run.code).toBe(2)
    expect(run.stderr).toBe('ckit: --redact takes JSON pointers from the response root, like /customer/email; instead got "customer.email"\n')
  })
})

describe('ckit record and symlinks in --out (item 8)', () => {
  const valid = { version: '2024-03-06', customer: { id: 'c1' }, sections: [] }

  it('does not follow a dangling symlink without --force', async () => {
    const dir = temporary()
    const outside = join(temporary(), 'planted.json')
    mkdirSync(join(dir, 'customers'), { recursive: true })
    symlinkSync(outside, join(dir, 'customers', 'kelly@example.com.json'))
    symlinkSync(join(temporary(), 'sections-target.json'), join(dir, 'sections.json'))
    const outcome = await recordOnce(await endpoint(() => valid), { dir })
    expect(outcome).toMatchObject({ skipped: 'kelly@example.com', reason: expect.stringMatching(/exists/) })
    expect(existsSync(outside)).toBe(false)
  })

  it('with --force replaces the symlink itself, never writing through it', async () => {
    const dir = temporary()
    const outside = join(temporary(), 'planted.json')
    const sectionsOutside = join(temporary(), 'sections-target.json')
    mkdirSync(join(dir, 'customers'), { recursive: true })
    const link = join(dir, 'customers', 'kelly@example.com.json')
    symlinkSync(outside, link)
    symlinkSync(sectionsOutside, join(dir, 'sections.json'))
    const outcome = await recordOnce(await endpoint(() => valid), { dir, force: true })
    expect(outcome).toEqual({ saved: link })
    expect(existsSync(outside) || existsSync(sectionsOutside)).toBe(false)
    expect(lstatSync(link).isSymbolicLink()).toBe(false)
    expect(JSON.parse(readFileSync(link, 'utf8'))).toEqual({ id: 'c1' })
    // No temporary file is left behind.
    expect(readdirSync(join(dir, 'customers'))).toEqual(['kelly@example.com.json'])
  })
})
