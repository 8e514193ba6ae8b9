// npm run bench:perf [targets] [seconds]: where each server's CPU goes per request, kernel included,
// sampled by Linux perf (cpu-clock, 1,999 Hz, all threads) while autocannon loads it as in
// http.bench.ts. V8's own profiler (bench:profile) sees JavaScript only; on this benchmark a third
// of the time is the kernel's, and most of the rest V8 builtins and runtime called from everyone's
// JavaScript, so this is the profile that accounts for all of it. Targets: a (bare route),
// f (floor), b (mock, repeated requester), b0, c (new requester every request), fc; default a,f,b.
// Needs `perf` (linux-perf) and permission to sample the server (root, or perf_event_paranoid ≤ 1);
// without them it says so and exits 1.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { identityRequests, signedRequest } from './load.js'
import { freePort, loadOf, mockCommand, peerFiles, serverCommand, startTarget, type ServerRow } from './targets.js'
import { fixed } from './stats.js'

const SECONDS = Number(process.argv[3] ?? 8)
const HZ = 1999
const CONNECTIONS = 16

const LABELS: Record<ServerRow, string> = {
  a: '(a) bare route',
  f: '(f) floor',
  b: '(b) mock, repeated',
  b0: '(b0) mock, --log off',
  fc: '(fc) floor, fresh',
  c: '(c) mock, fresh',
}
const keys = (process.argv[2] ?? 'a,f,b').split(',') as ServerRow[]
const unknown = keys.find((key) => !Object.hasOwn(LABELS, key))
if (unknown !== undefined) {
  process.stderr.write(`unknown target ${JSON.stringify(unknown)}; expected some of ${Object.keys(LABELS).join(',')}\n`)
  process.exit(2)
}
const probe = spawnSync('perf', ['record', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { encoding: 'utf8' })
if (probe.error || probe.status !== 0) {
  process.stderr.write(`bench:perf needs Linux perf allowed to sample processes: ${probe.error?.message ?? probe.stderr.trim()}\n`)
  process.exit(1)
}

/** Where a sampled function belongs. JIT frames are named `JS:*name file:line` with --perf-basic-prof. */
function category(dso: string, kernel: boolean, symbol: string): string {
  if (kernel) return 'kernel (TCP, syscalls, scheduling)'
  if (symbol.startsWith('JS:') || dso.startsWith('[JIT]')) {
    if (/node_modules\/(pino|sonic-boom)\//.test(symbol)) return 'JS: pino'
    if (/node_modules\/(fastify|find-my-way|avvio|light-my-request)\//.test(symbol)) return 'JS: fastify'
    if (/node_modules\/@faker-js\//.test(symbol)) return 'JS: Faker'
    if (/node_modules\//.test(symbol)) return 'JS: other libraries (ajv, …)'
    if (/ node:/.test(symbol)) return 'JS: Node (http, streams, events)'
    if (/\/dist\/|floor-server\.mjs/.test(symbol)) return 'JS: ours (mock, or the floor\'s handler)'
    return 'JS: other (unnamed code)'
  }
  if (symbol.startsWith('Builtins_')) return 'V8 builtins (property access, calls, strings)'
  if (/Scaveng|Heap|Mark|Sweep|Evacuat|Concurrent|Compactor|RememberedSet|GC/.test(symbol)) return 'V8 garbage collection'
  if (/OPENSSL|sha256|EVP_|HMAC|ossl_/i.test(symbol) || /libcrypto|libssl/.test(dso)) return 'OpenSSL (HMAC)'
  if (symbol.startsWith('v8::') || symbol.startsWith('Runtime_')) return 'V8 runtime (C++)'
  if (/node::|uv_|uv__|llhttp/.test(symbol)) return 'Node native (libuv, HTTP parser, stream glue)'
  if (dso.startsWith('libc')) return 'libc (malloc, memcpy, syscall stubs)'
  return 'other native'
}

async function profile(key: ServerRow, bodyFile: string, dir: string): Promise<{ perRequest: number; byCategory: Map<string, number> }> {
  const port = await freePort()
  const args = serverCommand(key, port, bodyFile)
  const target = await startTarget(['--perf-basic-prof', ...args], port, signedRequest(`http://127.0.0.1:${port}/`, 'repeat@example.com'), join(dir, `${key}.log`))
  const data = join(dir, `${key}.data`)
  try {
    const requests = identityRequests(target.url, loadOf(key))
    await autocannon({ url: target.url, connections: CONNECTIONS, duration: 3, requests }) // warm-up: JIT, lazy imports
    // perf samples a little longer than the load runs, so every request of the window is in it;
    // the idle moments at either end add almost no samples.
    const recorder = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(HZ), '-p', String(target.pid), '-o', data, '--', 'sleep', String(SECONDS + 0.3)], { stdio: 'ignore' })
    await new Promise((resolve) => setTimeout(resolve, 150))
    const load = await autocannon({ url: target.url, connections: CONNECTIONS, duration: SECONDS, requests })
    if (recorder.exitCode === null) await once(recorder, 'exit')
    const report = execFileSync('perf', ['report', '-i', data, '--no-children', '--sort', 'dso,sym', '--stdio', '-g', 'none', '-F', 'sample,dso,sym'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] })
    const byCategory = new Map<string, number>()
    let samples = 0
    for (const line of report.split('\n')) {
      const match = /^\s+(\d+)\s+(.+?)\s+\[([k.])\]\s+(.*)$/.exec(line)
      if (!match) continue
      const count = Number(match[1])
      samples += count
      const name = category(match[2]!.trim(), match[3] === 'k', match[4]!.trim())
      byCategory.set(name, (byCategory.get(name) ?? 0) + count)
    }
    const usPerSample = 1e6 / HZ / Math.max(1, load.requests.total)
    for (const [name, count] of byCategory) byCategory.set(name, count * usPerSample)
    return { perRequest: samples * usPerSample, byCategory }
  } finally {
    await target.stop()
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ckit-perf-'))
const port = await freePort()
const mock = await startTarget(mockCommand(port, ['--log', 'off']), port, signedRequest(`http://127.0.0.1:${port}/`, 'repeat@example.com'))
const { bodyFile } = await peerFiles(mock.url, signedRequest(mock.url, 'repeat@example.com'), dir).finally(() => mock.stop())
const results = new Map<ServerRow, Awaited<ReturnType<typeof profile>>>()
for (const key of keys) {
  process.stderr.write(`  ${LABELS[key]}\n`)
  results.set(key, await profile(key, bodyFile, dir))
}
const categories = [...new Set([...results.values()].flatMap((r) => [...r.byCategory.keys()]))].sort((x, y) => Math.max(...[...results.values()].map((r) => r.byCategory.get(y) ?? 0)) - Math.max(...[...results.values()].map((r) => r.byCategory.get(x) ?? 0)))
console.log(`perf record -e cpu-clock -F ${HZ} on the server process (all threads), node --perf-basic-prof, ${SECONDS} s of autocannon (${CONNECTIONS} connections) after a 3 s warm-up; µs of CPU per request answered. Dumps in ${dir}.\n`)
console.log(`| where | ${keys.map((k) => LABELS[k]).join(' | ')} |\n|---|${keys.map(() => '---:').join('|')}|`)
for (const name of categories) console.log(`| ${name} | ${keys.map((k) => fixed(results.get(k)!.byCategory.get(name) ?? 0, 1)).join(' | ')} |`)
console.log(`| **total** | ${keys.map((k) => `**${fixed(results.get(k)!.perRequest, 1)}**`).join(' | ')} |`)
