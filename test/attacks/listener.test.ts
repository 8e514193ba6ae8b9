import { createServer, type ServerResponse } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakePayload } from '../../src/fake/index.js'
import { deliver } from '../../src/webhooks/index.js'
import { runCli } from '../../src/cli/index.js'
import { startCli } from '../helpers.js'

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

/** Writes one request as raw bytes (latin1), as a sender that is not a well-behaved HTTP client would. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<string> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
    const lines = [`POST / HTTP/1.1`, `Host: ${target.host}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
    socket.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'))
    socket.end(body)
  })
}

describe('ckit webhooks listen, text output', () => {
  const out = { stdout: '', stderr: '' }
  let stop!: (signal: string) => void
  let done: Promise<number>
  let url: string
  beforeAll(async () => {
    // Text output writes nothing on stdout until a delivery arrives: wait for the banner on stderr.
    done = runCli(['webhooks', 'listen', '--port', '0', '--secret', 's3cret'], {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      env: {},
      cwd: process.cwd(),
      readStdin: async () => Buffer.alloc(0),
      waitForShutdown: () => new Promise((resolve) => (stop = resolve)),
    })
    for (let waited = 0; !/listening/.test(out.stderr) && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20))
    url = /on (http:\/\/\S+)/.exec(out.stderr)![1]!
  })
  afterAll(async () => {
    stop('SIGTERM')
    await done
  })

  it('shows C1 controls from the unsigned event and delivery-id headers as escapes', async () => {
    const before = out.stdout.length
    // U+009B is CSI and U+009D is OSC: latin1 bytes 0x9b and 0x9d in a header value.
    await rawPost(url, { X_YETTO_EVENT: 'message.created\u009b2J', X_YETTO_DELIVERY: 'id\u009d0;pwned', X_YETTO_SIGNATURE: 'sha256=00' }, '{}')
    const line = out.stdout.slice(before)
    expect(line).toContain('message.created\\x9b2J')
    expect(line).toContain('id\\x9d0;pwned')
    expect(line).not.toMatch(RAW_CONTROL)
  })
})

describe('ckit webhooks listen --json', () => {
  let listener: Awaited<ReturnType<typeof startCli>>
  let url: string
  beforeAll(async () => {
    listener = await startCli(['webhooks', 'listen', '--port', '0', '--json', '--secret', 's3cret', '--max-connections', '64'])
    url = (JSON.parse(listener.firstLine) as { listening: string }).listening
  })
  afterAll(() => listener.stop())

  it('escapes C1 controls in its JSON lines, which still parse to the same values', async () => {
    const before = listener.out.stdout.length
    await rawPost(url, { X_YETTO_EVENT: 'evt\u009b31m', X_YETTO_DELIVERY: 'id\u009d', X_YETTO_SIGNATURE: 'sha256=00' }, '{}')
    const line = listener.out.stdout.slice(before)
    expect(line).not.toMatch(RAW_CONTROL)
    expect(JSON.parse(line)).toMatchObject({ event: 'evt\u009b31m', deliveryId: 'id\u009d', signature: 'malformed' })
  })

  it('holds at most --max-connections slow connections, and still serves a valid delivery under that load', async () => {
    const sockets: Socket[] = []
    let closed = 0
    await Promise.all(
      Array.from(
        { length: 1000 },
        () =>
          new Promise<void>((resolve) => {
            // Slowloris: a request line and one header, then nothing.
            const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
              socket.write('POST / HTTP/1.1\r\nHost: x\r\n')
              resolve()
            })
            socket.on('error', () => resolve())
            socket.on('close', () => {
              closed++
              resolve()
            })
            sockets.push(socket)
          }),
      ),
    )
    try {
      for (let waited = 0; closed < 1000 - 64 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50))
      expect(closed).toBeGreaterThanOrEqual(1000 - 64)
      const payload = await fakePayload('message.created', 1)
      const started = performance.now()
      const result = await deliver(url, { event: 'message.created', payload }, { secret: 's3cret', attempts: 1, timeoutMs: 5000 })
      expect(result.status).toBe(204)
      expect(performance.now() - started).toBeLessThan(5000)
      expect(listener.out.stderr).toMatch(/64 connections are open \(--max-connections\)/)
    } finally {
      for (const socket of sockets) socket.destroy()
    }
  })

  it('never sheds a connection whose delivery is being answered: at the cap with all busy, the newcomer is refused', async () => {
    // A downstream that never answers keeps each forwarded delivery busy (the forward waits up to 10 s).
    const held: ServerResponse[] = []
    const downstream = createServer((_req, res) => void held.push(res))
    await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve))
    const busy = await startCli(['webhooks', 'listen', '--port', '0', '--json', '--secret', 's3cret', '--max-connections', '2', '--forward', `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/`])
    const busyUrl = (JSON.parse(busy.firstLine) as { listening: string }).listening
    try {
      const payload = await fakePayload('message.created', 1)
      const first = deliver(busyUrl, { event: 'message.created', payload }, { secret: 's3cret', attempts: 1, timeoutMs: 8000 })
      const second = deliver(busyUrl, { event: 'message.created', payload: { ...payload } as never }, { secret: 's3cret', attempts: 1, timeoutMs: 8000 })
      for (let waited = 0; held.length < 2 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20))
      expect(held).toHaveLength(2)
      const third = await deliver(busyUrl, { event: 'message.created', payload }, { secret: 's3cret', attempts: 1, timeoutMs: 2000 })
      expect(third.status).toBeNull()
      // The two being answered were kept: they complete once the downstream answers.
      for (const res of held) res.writeHead(202).end()
      expect((await first).status).toBe(202)
      expect((await second).status).toBe(202)
    } finally {
      await busy.stop()
      await new Promise((resolve) => downstream.close(resolve))
    }
  })
})
