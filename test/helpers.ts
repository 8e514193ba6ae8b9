import { readFileSync } from 'node:fs'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runCli } from '../src/cli/index.js'
import type { Io } from '../src/cli/io.js'

export const FIXTURES = new URL('./fixtures/', import.meta.url)
export const fixturePath = (name: string): string => new URL(name, FIXTURES).pathname
export const readFixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'))

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process with captured streams, as a user's shell would see it. */
export async function cli(argv: string[], options: { stdin?: string | Buffer; env?: Record<string, string>; shutdown?: Promise<string>; stdoutTty?: boolean } = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.stdoutTty === true },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? {},
    cwd: new URL('..', import.meta.url).pathname,
    readStdin: async () => Buffer.from(options.stdin ?? ''),
    waitForShutdown: () => options.shutdown ?? new Promise<string>(() => {}),
  }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}

import { connect } from 'node:net'

export interface RawExchange {
  /** Every byte the server sent, in order. */
  readonly bytes: Buffer
  /** When each chunk arrived, in ms after the request was written. */
  readonly chunks: readonly { atMs: number; size: number }[]
  /** Socket error code (ECONNRESET for a reset), if any. */
  readonly error: string | undefined
  /** Whether the server closed the connection before `waitMs` ran out. */
  readonly closed: boolean
  readonly status: number | undefined
  readonly body: string
}

/**
 * Sends one HTTP/1.1 GET over a plain TCP socket and records what comes back, byte by byte:
 * faults are observed on the socket, not through an HTTP client's interpretation.
 */
export function rawGet(url: string, headers: Record<string, string>, waitMs: number): Promise<RawExchange> {
  const target = new URL(url)
  return new Promise((resolveExchange) => {
    const socket = connect(Number(target.port), target.hostname)
    const parts: Buffer[] = []
    const chunks: { atMs: number; size: number }[] = []
    let error: string | undefined
    let closed = false
    let start = 0
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      const bytes = Buffer.concat(parts)
      const text = bytes.toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]
      const split = text.indexOf('\r\n\r\n')
      resolveExchange({ bytes, chunks, error, closed, status: status ? Number(status) : undefined, body: split >= 0 ? bytes.subarray(split + 4).toString('utf8') : '' })
    }
    const timer = setTimeout(finish, waitMs)
    socket.on('connect', () => {
      start = performance.now()
      const lines = [`GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
      socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    })
    socket.on('data', (data) => {
      parts.push(data)
      chunks.push({ atMs: performance.now() - start, size: data.length })
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code
    })
    socket.on('close', () => {
      closed = true
      finish()
    })
  })
}

import { spawn, type ChildProcess } from 'node:child_process'

/** Starts a program (Node unless another interpreter is named) and resolves once a stdout line matches, with the first capture group (a URL, say). */
export async function spawnUntil(file: string, env: Record<string, string>, pattern: RegExp, interpreter: string = process.execPath): Promise<{ match: string; child: ChildProcess }> {
  const child = spawn(interpreter, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const match = await new Promise<string>((resolveMatch, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const found = pattern.exec(out)
      if (found) resolveMatch(found[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before printing ${pattern}`)))
  })
  return { match, child }
}

/** Runs a serving CLI command in-process (ckit mock, webhooks listen…) until `stop()`; resolves once stdout has its first line. */
export async function startCli(argv: string[], env: Record<string, string> = {}): Promise<{ out: { stdout: string; stderr: string }; firstLine: string; stop: () => Promise<number> }> {
  const out = { stdout: '', stderr: '' }
  let stopSignal!: (signal: string) => void
  const shutdown = new Promise<string>((resolveSignal) => (stopSignal = resolveSignal))
  const done = runCli(argv, {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env,
    cwd: process.cwd(),
    readStdin: async () => Buffer.alloc(0),
    waitForShutdown: () => shutdown,
  })
  for (let waited = 0; !out.stdout.includes('\n') && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20))
  return { out, firstLine: out.stdout.split('\n')[0]!, stop: () => (stopSignal('SIGTERM'), done) }
}

/** An HTTP server on a free local port, for a test to point a client at; `close` ends open connections too. */
export async function localServer(handler: RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
