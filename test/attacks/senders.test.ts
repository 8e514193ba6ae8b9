import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakePayload } from '../../src/fake/index.js'

const ROOT = new URL('../..', import.meta.url).pathname

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The real process: an unsettled promise only shows as an exit code when the event loop empties. */
function run(args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr })
    })
  })
}

/**
 * A receiver that accepts the connection and closes its side without reading a byte. With a body
 * larger than the socket buffers, undici's request never settles, and the only timer
 * (AbortSignal.timeout) is unref'd: the sender used to exit 13 with no summary, log or retries.
 */
describe('a receiver that hangs up without reading', () => {
  let server: Server
  let url: string
  let dir: string
  let payloadFile: string
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.pause()
      socket.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    dir = mkdtempSync(join(tmpdir(), 'ckit-senders-'))
    const payload = (await fakePayload('message.created', 1)) as { yetto: { message: { text_content: string } } }
    payload.yetto.message.text_content = 'a'.repeat(4_000_000)
    payloadFile = join(dir, 'big.json')
    writeFileSync(payloadFile, JSON.stringify(payload))
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })

  it('webhooks send: every attempt ends in a verdict, retried, with the summary, --json and --log', async () => {
    const log = join(dir, 'attempts.jsonl')
    const result = await run(['src/cli/main.ts', 'webhooks', 'send', '--to', url, '--secret', 's3cret', '--event', 'message.created', '--payload', payloadFile, '--attempts', '3', '--backoff', '10ms', '--timeout', '1s', '--json', '--log', log])
    expect(result.stderr).not.toMatch(/internal error/)
    expect(result.code).toBe(3)
    const summary = JSON.parse(result.stdout) as { failed: number; results: { delivered: boolean; attempts: { attempt: number; errorKind: string }[] }[] }
    expect(summary.failed).toBe(1)
    expect(summary.results[0]!.attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
    for (const attempt of summary.results[0]!.attempts) expect(['network', 'timeout']).toContain(attempt.errorKind)
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(3)
  })

  it('webhooks send without --json prints the failure and the summary line', async () => {
    const result = await run(['src/cli/main.ts', 'webhooks', 'send', '--to', url, '--secret', 's3cret', '--event', 'message.created', '--payload', payloadFile, '--attempts', '2', '--backoff', '10ms', '--timeout', '1s'])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/failed message\.created .* after 2 attempt\(s\)/)
    expect(result.stdout).toMatch(/^delivered 0\/1, retried 1, failed 1/)
  })
})

describe('a command whose work can never settle', () => {
  it('is reported as an internal error, exit 70, never a silent exit 13', async () => {
    const dir = mkdtempSync(join(ROOT, '.tmp-guard-'))
    try {
      const script = join(dir, 'stuck.mts')
      writeFileSync(script, `import { settleGuarded } from ${JSON.stringify(join(ROOT, 'src/cli/settle-guard.ts'))}\nprocess.exitCode = await settleGuarded(new Promise<number>(() => {}))\n`)
      const result = await run([script])
      expect(result.code).toBe(70)
      expect(result.stderr).toMatch(/^ckit: internal error: the command stopped with work still pending/)
      // A command that settles keeps its own exit code.
      writeFileSync(script, `import { settleGuarded } from ${JSON.stringify(join(ROOT, 'src/cli/settle-guard.ts'))}\nprocess.exitCode = await settleGuarded(new Promise<number>((r) => setTimeout(() => r(3), 20)))\n`)
      const settled = await run([script])
      expect(settled.code).toBe(3)
      expect(settled.stderr).toBe('')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
