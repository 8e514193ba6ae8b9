import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, openSync } from 'node:fs'
import { connect } from 'node:net'
import { once } from 'node:events'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildSignedRequest } from '../../src/signature/index.js'
import { cli, startCli } from '../helpers.js'

/** Starts `ckit mock` in-process; resolves once it printed its --json line. */
async function startCliMock(args: string[], env: Record<string, string> = {}) {
  const { out, firstLine, stop } = await startCli(['mock', '--port', '0', '--log', 'off', '--json', ...args], env)
  const info = JSON.parse(firstLine) as { url: string; origin: string; secret: string | null; curl: string }
  let finish!: (code: number) => void
  const done = new Promise<number>((resolve) => (finish = resolve))
  return { info, out, stop: (_signal: string) => void stop().then(finish), done }
}

describe('ckit mock', () => {
  it('does not echo a secret it did not generate (banner and --json), and says it is the user\'s', async () => {
    const { info, out, stop, done } = await startCliMock(['--secret', 'my-own-secret-123'])
    stop('SIGTERM')
    expect(await done).toBe(0)
    expect(info.secret).toBeNull()
    expect(out.stdout + out.stderr).not.toContain('my-own-secret-123')
    expect(out.stderr).toContain('signing secret: (yours, not shown)')
  })

  it('warns about an open admin API in flag terms, where the library speaks of its adminToken option', async () => {
    const { info, out, stop, done } = await startCliMock(['--host', '0.0.0.0'])
    stop('SIGTERM')
    expect(await done).toBe(0)
    const { warnings } = info as unknown as { warnings: string[] }
    expect(warnings).toEqual([expect.stringContaining('set --admin-token ($CKIT_ADMIN_TOKEN) or bind 127.0.0.1')])
    expect(out.stderr).toContain('WARNING:        the admin API')
    expect(out.stderr).not.toMatch(/\badminToken\b/)
  })

  it('prints the URL, secret and a working signed curl line, then stops cleanly on a signal', async () => {
    const { info, out, stop, done } = await startCliMock(['--seed', '5'])
    expect(info.secret).toBe('ckit-mock-secret')
    expect(out.stderr).toContain(`listening on ${info.url}`)
    expect(out.stderr).toContain('signing secret: ckit-mock-secret')
    const header = /-H '([^:]+): ([^']+)'/.exec(info.curl)!
    const response = await fetch(info.curl.split(' ').pop()!, { headers: { [header[1]!]: header[2]! } })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { customer: { name: string } }).customer.name).toBe('Kelly Customer')
    stop('SIGTERM')
    expect(await done).toBe(0)
    expect(out.stderr).toContain('SIGTERM: shutting down')
  })

  it('reads options from --config; flags win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckit-config-'))
    await writeFile(join(dir, 'mock.yaml'), 'seed: 9\nscenario: "status:500"\nbasePath: /yetto\nsecret: from-config\n')
    const { info, stop, done } = await startCliMock(['--config', join(dir, 'mock.yaml'), '--no-verify'])
    expect(info.url).toMatch(/\/yetto\/$/)
    expect(info.secret).toBeNull()
    const request = buildSignedRequest({
      url: info.url,
      secret: 'ignored',
      context: { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'anyone@example.com' } },
    })
    expect((await fetch(request.url)).status).toBe(500)
    stop('SIGINT')
    expect(await done).toBe(0)
    await writeFile(join(dir, 'bad.yaml'), 'colour: blue\n')
    const badKey = await cli(['mock', '--config', join(dir, 'bad.yaml')])
    expect(badKey.code).toBe(2)
    expect(badKey.stderr).toMatch(/unknown option "colour"/)
    expect((await cli(['mock', '--config', join(dir, 'missing.yaml')])).code).toBe(2)
    // Every mock option is a config key (the list derives from the defaults), and is checked.
    await writeFile(join(dir, 'small-cache.yaml'), 'cacheBytes: 10\n')
    const smallCache = await cli(['mock', '--config', join(dir, 'small-cache.yaml')])
    expect(smallCache.code).toBe(2)
    expect(smallCache.stderr).toMatch(/cacheBytes must be an integer from 1024/)
  })

  it('refuses an unknown scenario or a bad port with exit 2 and a clear message', async () => {
    const bad = await cli(['mock', '--port', '0', '--log', 'off', '--scenario', 'flaky'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--scenario "flaky": unknown scenario/)
    const port = await cli(['mock', '--port', 'abc'])
    expect(port.code).toBe(2)
    expect(port.stderr).toMatch(/--port must be a whole number/)
  })
})

describe('ckit mock configured from the environment (a CI service container takes no arguments)', () => {
  const context = () => ({ reason: 'conversation_viewed' as const, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'dana@acme.example' } })
  const get = async (info: { url: string; secret: string | null }, secret = info.secret ?? 'ckit-mock-secret') => {
    const request = buildSignedRequest({ url: info.url, secret, context: context() })
    const response = await fetch(request.url, { headers: request.headers })
    return { status: response.status, body: await response.text() }
  }

  it('takes seed, scenario, secret, base path and budget from CKIT_* variables', async () => {
    const reference = await startCliMock(['--seed', '5'])
    const expected = (await get(reference.info)).body
    reference.stop('SIGTERM')
    await reference.done
    const env = { CKIT_SEED: '5', CKIT_BASE_PATH: '/yetto', CKIT_SECRET: 'from-the-environment', CKIT_SCENARIO: 'timeout', CKIT_BUDGET_MS: '100' }
    const mock = await startCliMock([], env)
    expect(mock.info.url).toMatch(/\/yetto\/$/)
    const started = Date.now()
    const timedOut = await get(mock.info, 'from-the-environment')
    // The timeout scenario answers budget + 500 ms: 0.6 s with CKIT_BUDGET_MS=100 (3.5 s by default),
    // so the answer is late by exactly that much (a timer may fire a millisecond early), and no later.
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(600 - 1)
    expect(elapsed).toBeLessThan(600 + 1000)
    expect(timedOut.status).toBe(200)
    expect(timedOut.body).toBe(expected)
    expect((await get(mock.info, 'ckit-mock-secret')).status).toBe(401)
    mock.stop('SIGTERM')
    await mock.done
  })

  it('lets flags win over the environment, and names a bad variable', async () => {
    const mock = await startCliMock(['--scenario', 'ok'], { CKIT_SCENARIO: 'status:503' })
    expect((await get(mock.info)).status).toBe(200)
    mock.stop('SIGTERM')
    await mock.done
    const fromEnv = await startCliMock([], { CKIT_SCENARIO: 'status:503' })
    expect((await get(fromEnv.info)).status).toBe(503)
    fromEnv.stop('SIGTERM')
    await fromEnv.done
    const bad = await cli(['mock', '--log', 'off'], { env: { CKIT_PORT: 'eighty' } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/CKIT_PORT must be a whole number from 0 to 65535, instead got "eighty"/)
    const log = await cli(['mock'], { env: { CKIT_LOG: 'loud' } })
    expect(log.code).toBe(2)
    expect(log.stderr).toMatch(/CKIT_LOG must be one of pretty, json, off/)
  })
})

describe('ckit mock as users run it (the built CLI, default logging)', () => {
  it('logs one JSON line per request on stderr, flushed on exit, with no warnings', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    const child = spawn(process.execPath, [main, 'mock', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [line] = (await once(child.stdout, 'data')) as [Buffer]
    const info = JSON.parse(line.toString()) as { url: string; secret: string }
    const context = { reason: 'conversation_viewed' as const, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'kelly@example.com' } }
    const send = async (times: number) => {
      for (let i = 0; i < times; i++) {
        const request = buildSignedRequest({ url: info.url, secret: info.secret, context })
        expect((await fetch(request.url, { headers: request.headers })).status).toBe(200)
      }
    }
    const lines = () => stderr.split('\n').filter((l) => l.includes('"request completed"'))
    await send(5)
    // Batched, but a quiet server's lines still leave within the flush interval (100 ms).
    await expect.poll(() => lines().length, { timeout: 2000 }).toBe(5)
    await send(3)
    child.kill('SIGTERM')
    await once(child, 'exit')
    const requests = lines().map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(requests).toHaveLength(8)
    expect(requests[0]).toMatchObject({ level: 30, status: 200, email: 'kelly@example.com', scenario: 'ok', signature: 'ok' })
    // The request line is written from the journal entry by the mock's own pino logger (fastify's is off): pino's fields all the same.
    expect(requests.map((r) => r['journalId'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(requests[0]).toMatchObject({ time: expect.any(Number), pid: child.pid, hostname: hostname(), reqId: expect.stringMatching(/^req-/), method: 'GET', url: '/…', reason: 'conversation_viewed', ms: expect.any(Number), msg: 'request completed' })
    expect(stderr).not.toMatch(/Warning|Deprecat/)
  })

  it('on a terminal (--log pretty) writes each request on one readable line', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    const child = spawn(process.execPath, [main, 'mock', '--port', '0', '--json', '--log', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [line] = (await once(child.stdout, 'data')) as [Buffer]
    const info = JSON.parse(line.toString()) as { url: string; origin: string; secret: string }
    const context = { reason: 'conversation_viewed' as const, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'kelly@example.com' } }
    const request = buildSignedRequest({ url: info.url, secret: info.secret, context })
    await (await fetch(request.url, { headers: request.headers })).text()
    await (await fetch(`${info.origin}/__admin/health`)).text()
    // eslint-disable-next-line no-control-regex
    const plain = () => stderr.replace(/\u001b\[[0-9;]*m/g, '')
    await expect.poll(() => plain().match(/request completed: /g)?.length ?? 0, { timeout: 5000 }).toBe(2)
    child.kill('SIGTERM')
    await once(child, 'exit')
    expect(plain()).toMatch(/request completed: GET \/… 200 [\d.]+ ms kelly@example\.com ok signature ok\n/)
    expect(plain()).toMatch(/request completed: GET \/__admin\/health 200 [\d.]+ ms\n/)
    expect(plain()).not.toMatch(/^\s+reqId:/m)
  })

  it('never lets a hostile request put a terminal escape into the pretty log', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    const child = spawn(process.execPath, [main, 'mock', '--port', '0', '--json', '--log', 'pretty', '--no-verify'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [line] = (await once(child.stdout, 'data')) as [Buffer]
    const { url } = JSON.parse(line.toString()) as { url: string }
    const esc = '\u001b[31mRED\u001b]8;;https://evil.example\u0007'
    const encode = (text: string) => Buffer.from(text).toString('base64url')
    const context = { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' } }
    for (const path of [encode(`{"a": "${esc}",}`), encode(esc), encode(JSON.stringify({ ...context, requester: { email: `k${esc}@example.com` } })), encode(JSON.stringify({ ...context, [esc]: 1 }))]) {
      expect((await fetch(`${url}${path}`)).status).toBeGreaterThanOrEqual(200)
    }
    await expect.poll(() => stderr.match(/request completed: /g)?.length ?? 0, { timeout: 5000 }).toBe(4)
    child.kill('SIGTERM')
    await once(child, 'exit')
    // pino-pretty colours with SGR codes of its own; none may come from the requests.
    for (const injected of ['\u001b[31m', '\u001b]8', 'RED']) expect(stderr).not.toContain(injected)
  })

  it('keeps serving when nobody reads its log any more (stderr closed: EPIPE)', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    const child = spawn(process.execPath, [main, 'mock', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    // Also when the test times out: a writer that retried EPIPE for ever would otherwise outlive the run, spinning.
    onTestFinished(() => void child.kill('SIGKILL'))
    const [line] = (await once(child.stdout, 'data')) as [Buffer]
    const info = JSON.parse(line.toString()) as { url: string; secret: string }
    child.stderr.destroy()
    const context = { reason: 'conversation_viewed' as const, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'kelly@example.com' } }
    // Well over one 4 KiB batch of log lines, spread over more than one flush interval.
    for (let i = 0; i < 60; i++) {
      const request = buildSignedRequest({ url: info.url, secret: info.secret, context })
      expect((await fetch(request.url, { headers: request.headers })).status).toBe(200)
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 150))
    }
    expect(child.exitCode).toBeNull()
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    expect((await exited)[0]).toBe(0)
  })

  it('ends on SIGTERM while its stderr reader has stopped reading (a wedged log collector)', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    const fifo = join(await mkdtemp(join(tmpdir(), 'ckit-stall-')), 'stderr')
    execFileSync('mkfifo', [fifo])
    // The reader holds the pipe open and never reads.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writeEnd = openSync(fifo, constants.O_WRONLY)
    const child = spawn(process.execPath, [main, 'mock', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', writeEnd] })
    closeSync(writeEnd)
    onTestFinished(() => {
      child.kill('SIGKILL')
      closeSync(reader)
    })
    const [line] = (await once(child.stdout!, 'data')) as [Buffer]
    const { url } = JSON.parse(line.toString()) as { url: string }
    // Unsigned requests whose long path is logged as sent: far more than the pipe's 64 KiB.
    for (let i = 0; i < 40; i++) expect((await fetch(`${url}${'x'.repeat(6000)}${i}`)).status).toBe(401)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const exited = once(child, 'exit')
    const started = Date.now()
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8000))])
    expect(child.exitCode).toBe(0)
    expect(Date.now() - started).toBeLessThan(8000)
  })

  it('asks itself for the preview even for a client that half-closed its socket after the request', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    const child = spawn(process.execPath, [main, 'mock', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    onTestFinished(() => void child.kill('SIGKILL'))
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [line] = (await once(child.stdout, 'data')) as [Buffer]
    const { origin } = JSON.parse(line.toString()) as { origin: string }
    // The first preview in a fresh process loads the client and renderer: the socket is gone by then.
    const socket = connect(Number(new URL(origin).port), '127.0.0.1')
    socket.resume()
    socket.end('GET /__admin/preview?email=kelly@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await once(socket, 'close')
    // Node ends a half-closed socket (httpAllowHalfOpen is off), so the page is not sent; but the
    // preview must not lose its own address with it ("http://127.0.0.1:undefined", a 500).
    const logged = () => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; reason?: string; status?: number })
    await expect.poll(() => logged().some((l) => l.reason === 'refresh' || l.level >= 50), { timeout: 5000 }).toBe(true)
    expect(logged().filter((l) => l.level >= 50)).toEqual([])
    expect(logged().find((l) => l.reason === 'refresh')).toMatchObject({ status: 200 })
  })

  it('exits when the process that started it dies (npx ckit mock & kill $! must not leak a server)', async () => {
    const main = new URL('../../dist/cli/main.js', import.meta.url).pathname
    // A parent that starts the mock and prints its pid, standing in for `npm exec`.
    const parentScript = `const { spawn } = require('node:child_process'); const c = spawn(process.execPath, [${JSON.stringify(main)}, 'mock', '--port', '0', '--log', 'off', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] }); c.stdout.once('data', () => console.log(c.pid)); setInterval(() => {}, 1000)`
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'ignore'] })
    const [line] = (await once(parent.stdout, 'data')) as [Buffer]
    const mockPid = Number(line.toString().trim())
    const alive = () => {
      try {
        process.kill(mockPid, 0)
        return true
      } catch {
        return false
      }
    }
    expect(alive()).toBe(true)
    parent.kill('SIGKILL')
    try {
      await expect.poll(alive, { timeout: 5000, interval: 100 }).toBe(false)
    } finally {
      if (alive()) process.kill(mockPid, 'SIGKILL')
    }
  })
})

