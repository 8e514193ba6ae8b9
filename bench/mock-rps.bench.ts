import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import autocannon from 'autocannon'
import { buildSignedRequest } from '../src/signature/index.js'

const DURATION_S = Number(process.env['CKIT_BENCH_SECONDS'] ?? 4)
/** Rounds alternate mock and bare, so a noisy neighbour on a shared machine hits both alike. */
const ROUNDS = 3
const CONNECTIONS = 16

async function serve(kind: 'mock' | 'bare'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./servers.ts', import.meta.url).pathname, kind], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  return { url: line.toString().trim(), child }
}

async function load(url: string, headers: Record<string, string>, duration = DURATION_S, requests?: autocannon.Request[]) {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration, ...(requests ? { requests } : {}) })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors`)
  return result
}

/**
 * Start-up of the built `ckit mock`, median of runs: from spawning to its first stdout line, and
 * as the process itself reports it (`startedInMs`: process start to listening).
 */
async function startup(runs = 7): Promise<{ mockMs: number; insideMs: number; nodeMs: number }> {
  const inside: number[] = []
  const time = async (args: string[], ready: 'stdout' | 'exit') => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    const [line] = (await once(child.stdout!, ready === 'stdout' ? 'data' : 'end')) as [Buffer | undefined]
    const ms = performance.now() - started
    const reported = line ? (JSON.parse(line.toString()) as { startedInMs?: number }).startedInMs : undefined
    if (typeof reported === 'number') inside.push(reported)
    child.kill('SIGTERM')
    await once(child, 'exit')
    return ms
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const mock: number[] = []
  const bare: number[] = []
  const main = new URL('../dist/cli/main.js', import.meta.url).pathname
  for (let i = 0; i < runs; i++) {
    mock.push(await time([main, 'mock', '--port', '0', '--log', 'off', '--json'], 'stdout'))
    bare.push(await time(['-e', 'console.log(1)'], 'stdout'))
  }
  return { mockMs: median(mock), insideMs: median(inside), nodeMs: median(bare) }
}

export async function run(): Promise<string> {
  const context = { reason: 'conversation_viewed' as const, requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'repeat@example.com' } }
  const mock = await serve('mock')
  const bare = await serve('bare')
  try {
    const signed = buildSignedRequest({ url: mock.url, secret: 'bench-secret', context })
    await fetch(signed.url, { headers: signed.headers }) // first request generates and caches the identity
    const bareUrl = buildSignedRequest({ url: bare.url, secret: 'x', context }).url
    // Warm both (JIT, connection pools) before measuring.
    await load(signed.url, signed.headers, 2)
    await load(bareUrl, {}, 2)
    // A new e-mail on every request: what the per-identity cache saves (generation with faker).
    let fresh = 0
    const freshIdentity: autocannon.Request[] = [
      {
        setupRequest: (request) => {
          const next = buildSignedRequest({ url: mock.url, secret: 'bench-secret', context: { ...context, requester: { email: `new-${fresh++}@example.com` } } })
          return { ...request, path: new URL(next.url).pathname, headers: { ...request.headers, ...next.headers } }
        },
      },
    ]
    const freshRuns: autocannon.Result[] = []
    const mockRuns: autocannon.Result[] = []
    const bareRuns: autocannon.Result[] = []
    for (let round = 0; round < ROUNDS; round++) {
      mockRuns.push(await load(signed.url, signed.headers))
      bareRuns.push(await load(bareUrl, {}))
      freshRuns.push(await load(signed.url, {}, DURATION_S, freshIdentity))
    }
    const { mockMs, insideMs, nodeMs } = await startup()
    const median = (runs: autocannon.Result[]) => [...runs].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(runs.length / 2)]!
    const mockResult = median(mockRuns)
    const bareResult = median(bareRuns)
    const ratio = mockResult.requests.average / bareResult.requests.average
    const row = (name: string, r: autocannon.Result, runs: autocannon.Result[]) =>
      `| ${name} | ${Math.round(r.requests.average).toLocaleString('en-US')} | ${runs.map((x) => Math.round(x.requests.average).toLocaleString('en-US')).join(' / ')} | ${r.latency.p50} ms | ${r.latency.p99} ms |`
    return [
      `autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s after a warm-up, servers in separate processes, same machine; the median round is shown.`,
      '',
      '| target | req/s (median) | rounds | p50 | p99 |',
      '|---|---:|---:|---:|---:|',
      row('mock: signed request, verified, repeated identity (cached)', mockResult, mockRuns),
      row('bare fastify route, static JSON body', bareResult, bareRuns),
      row('mock: a new identity on every request (generated, not cached)', median(freshRuns), freshRuns),
      '',
      `**Ratio mock / bare: ${ratio.toFixed(2)}**; a repeated identity is ${(mockResult.requests.average / median(freshRuns).requests.average).toFixed(1)}× faster than a new one. What remains per request is the protocol work any endpoint must do (verify the HMAC, decode and validate the context) plus choosing a scenario and journaling. Rounds on this shared machine vary by ±30 %, so read the ratio of medians, not one round.`,
      '',
      `Start-up of the built \`ckit mock\` (median of 7): **${insideMs} ms** from process start to listening as the process reports it (\`startedInMs\`); ${Math.round(mockMs)} ms from spawn to its first output line. A bare \`node -e\` on this machine takes ${Math.round(nodeMs)} ms from spawn to exit.`,
    ].join('\n')
  } finally {
    mock.child.kill('SIGTERM')
    bare.child.kill('SIGTERM')
  }
}
