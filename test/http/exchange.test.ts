import { execFile } from 'node:child_process'
import type { RequestListener } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { exchange, type ExchangeResult } from '../../src/http/exchange.js'
import { localServer } from '../helpers.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function serve(handler: RequestListener): Promise<string> {
  const server = await localServer(handler)
  closers.push(server.close)
  return server.url
}

const limits = { timeoutMs: 2000, maxResponseBytes: 1024 }
const failure = (result: ExchangeResult) => (result.ok ? undefined : result.failure)

describe('exchange', () => {
  it('returns status, headers, body and latency', async () => {
    const url = await serve((req, res) => res.writeHead(201, { 'x-seen': req.method ?? '' }).end('hello'))
    const result = await exchange({ url, method: 'POST', body: 'x' }, limits)
    expect(result).toMatchObject({ ok: true, status: 201, headers: { 'x-seen': 'POST' } })
    expect(result.ok && result.body.toString()).toBe('hello')
    expect(result.latencyMs).toBeGreaterThan(0)
  })

  it('ends a silent server with timeout within the budget', async () => {
    const url = await serve(() => {})
    const result = await exchange({ url }, { ...limits, timeoutMs: 200 })
    expect(failure(result)).toEqual({ kind: 'timeout', message: 'no complete answer within 200 ms' })
    expect(result.latencyMs).toBeGreaterThanOrEqual(195)
    expect(result.latencyMs).toBeLessThan(800)
  })

  it('keeps the process alive while it waits: a timeout is reported, never a silent exit', async () => {
    // A lookup that never answers leaves no socket and no other handle: only the budget's own
    // timer keeps the event loop alive (AbortSignal.timeout's unref'd one let Node exit 13).
    const module = new URL('../../src/http/exchange.ts', import.meta.url).pathname
    const script = `import { exchange } from ${JSON.stringify(module)}
const result = await exchange({ url: 'http://never.invalid/' }, { timeoutMs: 150, maxResponseBytes: 10, lookup: () => {} })
console.log(JSON.stringify(result.ok ? 'ok' : result.failure.kind))`
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 15_000 }, (_error, stdout) => resolve({ code: child.exitCode, stdout }))
    })
    expect(run).toEqual({ code: 0, stdout: '"timeout"\n' })
  })

  it('caps the body on decoded bytes: a small gzip body that inflates past the cap is too_large', async () => {
    const big = gzipSync(Buffer.alloc(4096, 'a'))
    expect(big.length).toBeLessThan(limits.maxResponseBytes)
    const url = await serve((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': big.length }).end(big))
    expect(failure(await exchange({ url }, { ...limits, decode: true }))).toMatchObject({ kind: 'too_large', message: expect.stringContaining('decoded from gzip') })
    // Decoded and within the cap, it comes back as text.
    const small = gzipSync('{"ok":true}')
    const smallUrl = await serve((req, res) => res.writeHead(200, { 'content-encoding': 'gzip', 'x-asked': req.headers['accept-encoding'] ?? '' }).end(small))
    const decoded = await exchange({ url: smallUrl }, { ...limits, decode: true })
    expect(decoded.ok && [decoded.body.toString(), decoded.headers['x-asked']]).toEqual(['{"ok":true}', 'gzip, deflate, br'])
  })

  it('is too_large past the cap without decoding, by declared length or by streamed bytes', async () => {
    const declared = await serve((_req, res) => res.writeHead(200, { 'content-length': 5000 }).end(Buffer.alloc(5000)))
    expect(failure(await exchange({ url: declared }, limits))).toMatchObject({ kind: 'too_large', declared: 5000 })
    const streamed = await serve((_req, res) => {
      res.writeHead(200)
      res.write(Buffer.alloc(800))
      res.end(Buffer.alloc(800))
    })
    expect(failure(await exchange({ url: streamed }, limits))).toMatchObject({ kind: 'too_large' })
    // A prefix reads only the start, and the rest is no failure.
    const prefixed = await exchange({ url: streamed }, { ...limits, prefixBytes: () => 10 })
    expect(prefixed.ok && prefixed.body.length).toBe(10)
  })

  it('reports a reset socket as network ECONNRESET', async () => {
    const url = await serve((req) => req.socket.destroy())
    expect(failure(await exchange({ url }, limits))).toMatchObject({ kind: 'network', code: 'ECONNRESET', message: expect.stringContaining('reset') })
  })

  it('reports an unreachable port as network ECONNREFUSED', async () => {
    const url = await serve(() => {})
    await closers.pop()!()
    expect(failure(await exchange({ url }, limits))).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', message: expect.stringContaining('refused') })
  })

  it('does not follow redirects: the 3xx is the answer', async () => {
    let followed = false
    const url = await serve((req, res) => {
      if (req.url === '/elsewhere') followed = true
      res.writeHead(302, { location: '/elsewhere' }).end()
    })
    expect(await exchange({ url }, limits)).toMatchObject({ ok: true, status: 302, headers: { location: '/elsewhere' } })
    expect(followed).toBe(false)
  })

  it('refuses a coding it cannot undo, and never throws for a bad URL', async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-encoding': 'zstd' }).end('x'))
    expect(failure(await exchange({ url }, { ...limits, decode: true }))).toMatchObject({ kind: 'undecodable', coding: 'zstd' })
    expect(failure(await exchange({ url: 'ftp://example.com/' }, limits))).toMatchObject({ kind: 'network' })
  })
})
