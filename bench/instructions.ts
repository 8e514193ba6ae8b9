// npm run bench:instructions [targets] — instructions per request, counted by valgrind (callgrind),
// for the bare fastify route and the mock. Unlike CPU time, an instruction count does not depend on
// what else the machine runs, so before/after figures of an optimisation hold on a loaded,
// shared VM. Each server runs under callgrind in its own process (every thread counted, the
// load generator outside it); after a warm-up the counters are zeroed, N requests sent with
// autocannon as in http.bench.ts, and the counters dumped: instructions / N.
// Targets: a (bare route), f (the floor: a plus the required work), b (mock, repeated requester, default logging), b0 (b with --log off),
// c (a new requester every request); default a,b,b0. Knobs: CKIT_INSTR_REQUESTS (4000: a window must hold several old-generation collections, which come in lumps),
// CKIT_INSTR_WARMUP (4000: V8 still compiles hot functions after 2,000).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { identityRequests, signedRequest } from './load.js'
import { freePort, loadOf, mockCommand, peerFiles, serverCommand, startTarget, type ServerRow } from './targets.js'
import { fixed } from './stats.js'

const REQUESTS = Number(process.env['CKIT_INSTR_REQUESTS'] ?? 4000)
const WARMUP = Number(process.env['CKIT_INSTR_WARMUP'] ?? 4000)
const CONNECTIONS = 16

const LABELS: Record<ServerRow, string> = {
  a: '(a) bare fastify route, static body',
  f: '(f) floor: (a) plus only the required work (bench/floor-server.mjs), repeated requester',
  b: '(b) ckit mock, repeated requester, default logging',
  b0: '(b0) ckit mock, repeated requester, --log off',
  fc: '(fc) the floor, a new requester every request',
  c: '(c) ckit mock, a new requester every request',
}
const keys = (process.argv[2] ?? 'a,b,b0').split(',') as ServerRow[]
const unknown = keys.find((key) => !Object.hasOwn(LABELS, key))
if (unknown !== undefined) {
  process.stderr.write(`unknown target ${JSON.stringify(unknown)}; expected some of ${Object.keys(LABELS).join(',')}\n`)
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'ckit-instructions-'))
// Signed when used: a run takes minutes under valgrind, longer than the mock's 5-minute freshness window.
const probe = () => signedRequest('http://127.0.0.1/', 'repeat@example.com')

/** The mock's answer for the repeated requester: the bare route serves these very bytes. */
async function bareBody(): Promise<string> {
  const port = await freePort()
  const mock = await startTarget(mockCommand(port, ['--log', 'off']), port, probe())
  try {
    return (await peerFiles(mock.url, probe(), dir)).bodyFile
  } finally {
    await mock.stop()
  }
}

/** Total instructions in the newest callgrind dump of `out` (a folder per target). */
function dumpedInstructions(out: string): number {
  const newest = readdirSync(out)
    .map((f) => join(out, f))
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0]!
  const total = /^(?:totals|summary): (\d+)/m.exec(readFileSync(newest, 'utf8'))?.[1]
  if (total === undefined) throw new Error(`${newest}: no totals line`)
  return Number(total)
}

async function count(key: ServerRow, bodyFile: string): Promise<number> {
  const port = await freePort()
  const out = join(dir, key)
  mkdirSync(out)
  const args = serverCommand(key, port, bodyFile)
  // The request log goes to a file, as in http.bench.ts: writing it is part of the cost.
  const valgrind = ['--tool=callgrind', `--callgrind-out-file=${join(out, 'callgrind.out')}`, '--dump-instr=no', process.execPath, ...args]
  const target = await startTarget(valgrind, port, probe(), join(dir, `${key}.log`), { program: 'valgrind', timeoutMs: 300_000 })
  try {
    const requests = identityRequests(target.url, loadOf(key))
    const send = async (amount: number) => {
      const result = await autocannon({ url: target.url, connections: CONNECTIONS, amount, requests, timeout: 60 })
      const failures = result.non2xx + result.errors + result.timeouts
      if (failures > 0) throw new Error(`${LABELS[key]}: ${failures} failed requests`)
    }
    await send(WARMUP)
    execFileSync('callgrind_control', ['--zero', String(target.pid)], { stdio: 'ignore' })
    await send(REQUESTS)
    execFileSync('callgrind_control', ['--dump', String(target.pid)], { stdio: 'ignore' })
    return dumpedInstructions(out) / REQUESTS
  } finally {
    await target.stop()
  }
}

const bodyFile = await bareBody()
const results = new Map<ServerRow, number>()
for (const key of keys) {
  const started = performance.now()
  results.set(key, await count(key, bodyFile))
  process.stderr.write(`${LABELS[key]}: ${fixed(results.get(key)!, 0)} instructions per request (${fixed((performance.now() - started) / 1000, 0)} s)\n`)
}
console.log(`callgrind, ${REQUESTS} requests after ${WARMUP} of warm-up, ${CONNECTIONS} connections (autocannon); instructions per request in the server process, all threads\n`)
console.log('| target | instructions / request | bare / this |\n|---|---:|---:|')
for (const [key, perRequest] of results) {
  const bare = results.get('a')
  console.log(`| ${LABELS[key]} | ${fixed(perRequest, 0)} | ${bare === undefined ? '—' : fixed(bare / perRequest, 2)} |`)
}
