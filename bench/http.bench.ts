// Mock throughput and latency against the physical limit (a bare fastify route), Prism and WireMock, all in
// one run: rounds alternate the targets so a noisy neighbour hits each alike, and every ratio is
// taken between figures of the same run.
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { identityRequests, signedRequest } from './load.js'
import { bareCommand, cpuSeconds, floorCommand, findJava, freePort, mockCommand, peerFiles, pinning, pinSelf, prismCommand, startTarget, wiremockCommand, type Target } from './targets.js'
import { fixed, median, range, type Figure } from './stats.js'

const SECONDS = Number(process.env['CKIT_BENCH_SECONDS'] ?? 5)
const ROUNDS = Number(process.env['CKIT_BENCH_ROUNDS'] ?? 5)
const CONNECTIONS = 16
const FIXED_RATE = 1000
/** CKIT_BENCH_TARGETS=a,b,b0 measures only those rows (for before/after figures while optimising). */
const ONLY = process.env['CKIT_BENCH_TARGETS']?.split(',')
const wanted = (key: string) => ONLY === undefined || ONLY.includes(key)

interface Measure {
  rps: number
  cpuUs: number
  p50: number
  p99: number
  requests: number
  failures: number
}

/** One autocannon run against `target`, with the CPU the server process spent on it. */
async function measure(target: Target, requests: autocannon.Request[], options: { duration: number; overallRate?: number; connections?: number }): Promise<Measure> {
  const before = cpuSeconds(target.pid)
  const result = await autocannon({ url: target.url, connections: options.connections ?? CONNECTIONS, duration: options.duration, requests, ...(options.overallRate ? { overallRate: options.overallRate } : {}) })
  const cpu = cpuSeconds(target.pid) - before
  return { rps: result.requests.average, cpuUs: (cpu / Math.max(1, result.requests.total)) * 1e6, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, failures: result.non2xx + result.errors + result.timeouts }
}

interface Row {
  readonly key: string
  readonly label: string
  readonly target: Target
  readonly requests: autocannon.Request[]
  readonly runs: Measure[]
  /** A failed request here is a bug of ours, not a property of a peer. */
  readonly ours: boolean
  /** Seconds of load before the rounds (2 unless the server needs longer to be warm). */
  readonly warmup?: number
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-bench-'))
  const ports = { mock: await freePort(), fresh: await freePort(), quiet: await freePort(), bare: await freePort(), floor: await freePort(), floorFresh: await freePort(), prismDynamic: await freePort(), prismStatic: await freePort(), wiremock: await freePort() }
  const probe = signedRequest('http://127.0.0.1/', 'repeat@example.com')
  const logFile = join(dir, 'mock.log')
  const targets: Target[] = []
  const pin = pinning()
  const unpin = pin ? pinSelf(pin.load, pin.before) : () => {}
  const on = pin ? { cpu: pin.server } : {}
  try {
    const mock = await startTarget(mockCommand(ports.mock), ports.mock, probe, logFile, on)
    targets.push(mock)
    // Its own process: the garbage and the full cache of new requesters must not weigh on (b).
    const fresh = await startTarget(mockCommand(ports.fresh), ports.fresh, probe, join(dir, 'fresh.log'), on)
    targets.push(fresh)
    const quiet = await startTarget(mockCommand(ports.quiet, ['--log', 'off']), ports.quiet, probe, '/dev/null', on)
    targets.push(quiet)
    // The limit serves the very bytes the mock answers for the repeated identity; Prism reads the
    // OpenAPI document our mock publishes, the static variant with our real body as the example.
    const { bodyFile, dynamicDoc, staticDoc } = await peerFiles(mock.url, probe, dir)
    const bare = await startTarget(bareCommand(ports.bare, bodyFile), ports.bare, probe, '/dev/null', on)
    targets.push(bare)
    // The floor: the bare route plus only the required work, in a process for each load as the mock's.
    const floor = wanted('f') ? await startTarget(floorCommand(ports.floor, bodyFile), ports.floor, probe, join(dir, 'floor.log'), on) : undefined
    if (floor) targets.push(floor)
    const floorFresh = wanted('fc') ? await startTarget(floorCommand(ports.floorFresh, bodyFile), ports.floorFresh, probe, join(dir, 'floor-fresh.log'), on) : undefined
    if (floorFresh) targets.push(floorFresh)
    const prismDynamic = wanted('d') ? await startTarget(prismCommand(ports.prismDynamic, dynamicDoc, true), ports.prismDynamic, probe, '/dev/null', on) : undefined
    if (prismDynamic) targets.push(prismDynamic)
    const prismStatic = wanted('e') ? await startTarget(prismCommand(ports.prismStatic, staticDoc, false), ports.prismStatic, probe, '/dev/null', on) : undefined
    if (prismStatic) targets.push(prismStatic)
    // WireMock serves the same bytes from a stub; without Java its row is skipped with a note.
    const java = wanted('w') ? findJava() : undefined
    const wiremock = java && 'java' in java ? await startTarget(wiremockCommand(ports.wiremock, bodyFile, dir), ports.wiremock, probe, '/dev/null', { program: java.java, timeoutMs: 120_000, ...on }) : undefined
    if (wiremock) targets.push(wiremock)

    const all: (Omit<Row, 'target'> & { target: Target | undefined })[] = [
      { key: 'a', label: '(a) bare fastify route, static body (the limit)', target: bare, requests: identityRequests(bare.url, 'repeated'), runs: [], ours: false },
      { key: 'f', label: '(f) floor: (a) plus only the required work (HMAC, context, journal entry, log line), repeated identity', target: floor, requests: floor ? identityRequests(floor.url, 'repeated') : [], runs: [], ours: true },
      { key: 'fc', label: '(fc) floor, fresh identity per request (plus decoding the context and a Faker customer)', target: floorFresh, requests: floorFresh ? identityRequests(floorFresh.url, 'fresh') : [], runs: [], ours: true },
      { key: 'b', label: '(b) ckit mock, repeated identity', target: mock, requests: identityRequests(mock.url, 'repeated'), runs: [], ours: true },
      { key: 'c', label: '(c) ckit mock, fresh identity per request', target: fresh, requests: identityRequests(fresh.url, 'fresh'), runs: [], ours: true },
      { key: 'b0', label: '(b) with `--log off`', target: quiet, requests: identityRequests(quiet.url, 'repeated'), runs: [], ours: true },
      { key: 'd', label: '(d) Prism 5.14.2 `-d` (dynamic) on our OpenAPI', target: prismDynamic, requests: prismDynamic ? identityRequests(prismDynamic.url, 'repeated') : [], runs: [], ours: false },
      { key: 'e', label: '(e) Prism 5.14.2 static, our body as example', target: prismStatic, requests: prismStatic ? identityRequests(prismStatic.url, 'repeated') : [], runs: [], ours: false },
      // The JVM compiles its hot paths later than V8: after 2 s of warm-up its first round still cost ~40 % more CPU per request.
      { key: 'w', label: '(w) WireMock 3.13.2 standalone, our body from a stub', target: wiremock, requests: wiremock ? identityRequests(wiremock.url, 'repeated') : [], runs: [], ours: false, warmup: 10 },
    ]
    const rows = all.filter((row): row is Row => row.target !== undefined && wanted(row.key))
    for (const row of rows) await measure(row.target, row.requests, { duration: row.warmup ?? 2 }) // warm-up: JIT, lazy imports
    const logBytesBefore = statSync(logFile).size
    let mockRequests = 0
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`  throughput round ${round + 1}/${ROUNDS}\n`)
      for (const row of rows) {
        const m = await measure(row.target, row.requests, { duration: SECONDS })
        if (row.ours && m.failures > 0) throw new Error(`${row.label}: ${m.failures} failed requests`)
        if (row.target === mock) mockRequests += m.requests
        row.runs.push(m)
      }
    }
    const logBytes = statSync(logFile).size - logBytesBefore
    const logLines = readFileSync(logFile).subarray(logBytesBefore).toString('utf8').split('\n').filter((l) => l.startsWith('{')).length
    process.stderr.write(`  latency at ${FIXED_RATE} req/s\n`)
    const latency = new Map<string, Measure>()
    for (const key of ['a', 'b', 'c']) {
      const row = rows.find((r) => r.key === key)
      if (row) latency.set(key, await measure(row.target, row.requests, { duration: 10, overallRate: FIXED_RATE, connections: 10 }))
    }

    const by = (key: string) => rows.find((r) => r.key === key)!.runs
    const perRound = (f: (i: number) => number) => Array.from({ length: ROUNDS }, (_, i) => f(i))
    const ratio = (label: string, num: string, den: string, target: number | undefined) => {
      if (!rows.some((r) => r.key === num) || !rows.some((r) => r.key === den)) return `| ${label} | not measured | | |`
      const rps = perRound((i) => by(num)[i]!.rps / by(den)[i]!.rps)
      const cpu = perRound((i) => by(den)[i]!.cpuUs / by(num)[i]!.cpuUs)
      const verdict = (x: number) => (target === undefined ? '' : x >= target ? ' ✓' : ' ✗')
      return `| ${label} | ${fixed(median(rps), 2)} (${range(rps, 2)})${verdict(median(rps))} | ${fixed(median(cpu), 2)} (${range(cpu, 2)})${verdict(median(cpu))} | ${target === undefined ? '—' : `≥ ${target}`} |`
    }
    const figure = (f: Figure) => `${fixed(median(f), 0)} (${range(f, 0)})`
    const ms = (x: number) => `${x.toFixed(2)} ms`
    const lines = [
      `autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s that alternate the targets, after a 2 s warm-up each (10 s for WireMock's JVM); every row's server in its own process on this machine (so (b) and (b0) differ only in logging), ${pin ? `every server pinned to CPU ${pin.server} and the load generator to CPU ${pin.load} (\`taskset\`; unpinned, the figures are bimodal)` : 'unpinned (no second CPU or no `taskset`, or CKIT_BENCH_PIN=0), the load generator beside them'}. Median of the rounds, (min–max) after it. **CPU µs/request** is the server process's own user + system time from /proc divided by the requests it answered: the stable figure here, since the load generator shares the machine. Every request is a signed GET as a help desk sends it; Prism and WireMock get the same ones (WireMock with its request journal bounded to 1,000 entries like the mock's, and no log line per request).`,
      '',
      '| target | req/s | CPU µs/request | p50 | p99 |',
      '|---|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.label} | ${figure(r.runs.map((m) => m.rps))} | ${figure(r.runs.map((m) => m.cpuUs))} | ${ms(median(r.runs.map((m) => m.p50)))} | ${ms(median(r.runs.map((m) => m.p99)))} |`),
      '',
      'Ratios, computed round by round within this run (higher is better; CPU ratios are the reference\'s CPU per request over ours):',
      '',
      '| ratio | by req/s | by CPU per request | target |',
      '|---|---:|---:|---:|',
      ratio('b / a: repeated identity vs the limit', 'b', 'a', 0.7),
      ratio('c / a: fresh identity vs the limit', 'c', 'a', 0.3),
      ratio('f / a: the floor vs the limit (the best b / a can be)', 'f', 'a', undefined),
      ratio('fc / a: the fresh floor vs the limit (the best c / a can be)', 'fc', 'a', undefined),
      ratio('b / f: repeated identity vs its floor', 'b', 'f', undefined),
      ratio('c / fc: fresh identity vs its floor', 'c', 'fc', undefined),
      ratio('b / e: repeated identity vs Prism static', 'b', 'e', 5),
      ratio('b / d: repeated identity vs Prism dynamic', 'b', 'd', undefined),
      ratio('b / w: repeated identity vs WireMock', 'b', 'w', undefined),
      ratio('default logging vs `--log off` (b / b0)', 'b', 'b0', undefined),
      '',
      ...(java && 'missing' in java ? [`(w) WireMock was not measured: ${java.missing}.`, ''] : []),
      mockRequests === 0 ? '' : `Default logging wrote ${fixed(logLines / mockRequests, 2)} lines and ${fixed(logBytes / mockRequests, 0)} bytes per request (JSON lines on stderr, to a file here).`,
      '',
      `Latency at a fixed ${FIXED_RATE} req/s (10 connections, 10 s); target p99 < 5 ms for (b) and (c):`,
      '',
      '| target | p50 | p99 | max failures |',
      '|---|---:|---:|---:|',
      ...[...latency].map(([key, m]) => {
        const check = key === 'a' ? '' : m.p99 < 5 ? ' ✓' : ' ✗'
        return `| ${rows.find((r) => r.key === key)!.label} | ${ms(m.p50)} | ${ms(m.p99)}${check} | ${m.failures} |`
      }),
    ]
    return lines.join('\n')
  } finally {
    await Promise.all(targets.map((t) => t.stop()))
    unpin()
  }
}
