// The servers the HTTP benchmarks compare, each in its own process, and what /proc says about them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import { createServer } from 'node:net'
import { MOCK_SECRET } from './load.js'

export interface Target {
  readonly url: string
  readonly pid: number
  readonly child: ChildProcess
  stop(): Promise<void>
}

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname
const BARE = new URL('./bare-server.mjs', import.meta.url).pathname
const FLOOR = new URL('./floor-server.mjs', import.meta.url).pathname
const PRISM = new URL('../node_modules/@stoplight/prism-cli/dist/index.js', import.meta.url).pathname

/** The ckit mock as users run it (`npx ckit mock`), stderr (its request log) to `logFile`. */
export function mockCommand(port: number, extra: readonly string[] = []): string[] {
  return [MAIN, 'mock', '--port', String(port), '--secret', MOCK_SECRET, ...extra]
}
export const bareCommand = (port: number, bodyFile: string): string[] => [BARE, String(port), bodyFile]
/** The bare route plus only the work intrinsic to a signed request (floor-server.mjs): what the mock is measured against. */
export const floorCommand = (port: number, bodyFile: string, extra: readonly string[] = []): string[] => [FLOOR, String(port), bodyFile, ...extra]

/**
 * The servers the per-request tools (bench:instructions, bench:perf) compare, by row key: (a) the
 * bare route, (f) the floor, (b) the mock, (b0) the mock with `--log off`; (fc) and (c) are the
 * floor and the mock loaded with a new requester every request.
 */
export const SERVER_ROWS = ['a', 'f', 'b', 'b0', 'fc', 'c'] as const
export type ServerRow = (typeof SERVER_ROWS)[number]
export function serverCommand(row: ServerRow, port: number, bodyFile: string): string[] {
  if (row === 'a') return bareCommand(port, bodyFile)
  if (row === 'f' || row === 'fc') return floorCommand(port, bodyFile)
  return mockCommand(port, row === 'b0' ? ['--log', 'off'] : [])
}
export const loadOf = (row: ServerRow): 'fresh' | 'repeated' => (row === 'c' || row === 'fc' ? 'fresh' : 'repeated')
/** Prism 5.14.2: `-d` generates from the schemas, without it the first example is served. */
export const prismCommand = (port: number, document: string, dynamic: boolean): string[] => [PRISM, 'mock', ...(dynamic ? ['-d'] : []), '-p', String(port), '-h', '127.0.0.1', '--errors', 'false', document]

const WIREMOCK_VERSION = '3.13.2'
const WIREMOCK_JAR = new URL(`../node_modules/wiremock/build/wiremock-standalone-${WIREMOCK_VERSION}.jar`, import.meta.url).pathname

/** The `java` to run WireMock with ($JAVA_HOME first, then PATH), or why there is none. */
export function findJava(): { java: string } | { missing: string } {
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java'
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 30_000 })
  if (probe.error || probe.status !== 0) return { missing: `no Java found (${java}: ${probe.error?.message ?? `exit ${probe.status}`})` }
  return { java }
}

/**
 * WireMock standalone serving `bodyFile`'s bytes from one stub for every GET, from a root folder made in
 * `dir`. Its request journal is bounded to 1,000 entries like the mock's (unbounded by default);
 * it logs no line per request unless --verbose, so it does less than the mock there.
 */
export function wiremockCommand(port: number, bodyFile: string, dir: string): string[] {
  const root = join(dir, 'wiremock')
  mkdirSync(join(root, 'mappings'), { recursive: true })
  // The body inline in the stub, held in memory like the mock's prepared answer (a bodyFileName is read per request).
  const stub = { request: { method: 'GET', urlPattern: '/.*' }, response: { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: readFileSync(bodyFile, 'utf8') } }
  writeFileSync(join(root, 'mappings', 'body.json'), JSON.stringify(stub))
  return ['-jar', WIREMOCK_JAR, '--port', String(port), '--bind-address', '127.0.0.1', '--root-dir', root, '--max-request-journal-entries', '1000', '--disable-banner']
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

/** Polls until `url` answers 200; resolves with the milliseconds since `since`. */
export async function firstOk(url: string, headers: Record<string, string>, since: number, child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  let exited = false
  child.once('exit', () => (exited = true))
  for (;;) {
    if (exited) throw new Error(`${url}: the server exited before answering`)
    if (performance.now() - since > timeoutMs) throw new Error(`${url}: no 200 within ${timeoutMs} ms`)
    try {
      const response = await fetch(url, { headers })
      await response.arrayBuffer()
      if (response.status === 200) return performance.now() - since
      throw new Error(`${url}: answered ${response.status} before 200`)
    } catch (error) {
      if (error instanceof Error && error.message.includes('answered')) throw error
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }
}

export interface StartOptions {
  /** What runs `args`: node by default; `java` for WireMock, `valgrind` to count instructions. */
  readonly program?: string
  readonly timeoutMs?: number
  /** The one CPU the server may run on (every thread), with `taskset`. */
  readonly cpu?: number
}

/**
 * The CPUs the HTTP rounds pin to: every server to one, the load generator (this process) to
 * another. Unpinned on 2 cores, a server's CPU per request is bimodal with where the scheduler
 * puts it beside the load generator (docs/performance.md, "How to read these ratios"). Undefined,
 * so unpinned, with fewer than 2 CPUs, without `taskset` (util-linux), or with CKIT_BENCH_PIN=0.
 */
export function pinning(): { server: number; load: number; before: string } | undefined {
  if (process.env['CKIT_BENCH_PIN'] === '0' || availableParallelism() < 2) return undefined
  const mine = spawnSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' })
  const before = mine.status === 0 ? /:\s*(\S+)\s*$/.exec(mine.stdout)?.[1] : undefined
  return before === undefined ? undefined : { server: 1, load: 0, before }
}

/** Pins every thread of this process to `cpu`; returns how to put back its affinity (`before`, from `pinning`). */
export function pinSelf(cpu: number, before: string): () => void {
  const set = (list: string) => spawnSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' })
  set(String(cpu))
  return () => void set(before)
}

/** Spawns `node <args>` (stderr to `logFile`) and waits until a signed GET of `path` answers 200. */
export async function startTarget(args: string[], port: number, probe: { path: string; headers: Record<string, string> }, logFile = '/dev/null', options: StartOptions = {}): Promise<Target & { startMs: number }> {
  const log = openSync(logFile, 'a')
  const started = performance.now()
  const program = options.program ?? process.execPath
  // taskset execs the program, so the pid is still the server's.
  const child = options.cpu === undefined ? spawn(program, args, { stdio: ['ignore', 'ignore', log] }) : spawn('taskset', ['-c', String(options.cpu), program, ...args], { stdio: ['ignore', 'ignore', log] })
  closeSync(log)
  const url = `http://127.0.0.1:${port}/`
  let startMs: number
  try {
    startMs = await firstOk(new URL(probe.path, url).href, probe.headers, started, child, options.timeoutMs)
  } catch (error) {
    // A server that never answered must not outlive the run.
    child.kill('SIGKILL')
    throw error
  }
  return {
    url,
    pid: child.pid!,
    child,
    startMs,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

type OpenApi = { paths: Record<string, { get: { responses: Record<string, { content: Record<string, Record<string, unknown>> }> } }> }

/**
 * What the peers serve, taken from a running mock and written to `dir`: its answer to `probe`
 * (the bare route's body), and its OpenAPI document as Prism reads it, as published (dynamic)
 * and with that answer as the 200 example (static).
 */
export async function peerFiles(mockUrl: string, probe: { path: string; headers: Record<string, string> }, dir: string): Promise<{ bodyFile: string; dynamicDoc: string; staticDoc: string }> {
  const body = await (await fetch(new URL(probe.path, mockUrl), { headers: probe.headers })).text()
  const document = (await (await fetch(new URL('/openapi.json', mockUrl))).json()) as OpenApi
  const files = { bodyFile: join(dir, 'body.json'), dynamicDoc: join(dir, 'openapi.json'), staticDoc: join(dir, 'openapi-static.json') }
  writeFileSync(files.bodyFile, body)
  writeFileSync(files.dynamicDoc, JSON.stringify(document))
  document.paths['/{pathParameter}']!.get.responses['200']!.content['application/json']!['example'] = JSON.parse(body) as unknown
  writeFileSync(files.staticDoc, JSON.stringify(document))
  return files
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  return Number(kb) * 1024
}

/** USER_HZ: 100 on every Linux this runs on (the kernel ABI fixes it for /proc). */
const CLOCK_TICKS = 100
