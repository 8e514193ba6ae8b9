// Start-up, median of 10 alternating runs: from spawning the process to its first 200 answer, for
// the ckit mock, the bare fastify route and Prism; plus what each heavy import costs and which of
// them the mock loads before it answers.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signedRequest } from './load.js'
import { bareCommand, freePort, mockCommand, peerFiles, prismCommand, startTarget } from './targets.js'
import { fixed, median, range } from './stats.js'

const RUNS = Number(process.env["CKIT_STARTUP_RUNS"] ?? 10)
/** 🔧 Target for `ckit mock` on this machine, spawn to first answer. */
const TARGET_MS = 450
const HEAVY = ['fastify', 'ajv', 'liquidjs', '@faker-js/faker', 'json-schema-faker', '@fastify/swagger', '@fastify/swagger-ui', 'pino-pretty', '@pact-foundation/pact']
const LAZY = ['@fastify/swagger', '@fastify/swagger-ui', '@faker-js/faker', 'json-schema-faker', 'liquidjs', 'pino-pretty']
const TRACE = new URL('./trace-imports.mjs', import.meta.url).pathname

async function timeStart(args: (port: number) => string[], email: string, logFile?: string): Promise<number> {
  const port = await freePort()
  const probe = signedRequest(`http://127.0.0.1:${port}/`, email)
  const target = await startTarget(args(port), port, probe, logFile)
  await target.stop()
  return target.startMs
}

/** Milliseconds to import `specifier` in a fresh node, median of 5. */
function importMs(specifier: string): number {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t))`], { cwd: new URL('..', import.meta.url).pathname })
    times.push(Number(out.toString()))
  }
  return median(times)
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-startup-'))
  // Prism serves the document our mock publishes, with our body as the static example.
  const port = await freePort()
  const mock = await startTarget(mockCommand(port), port, signedRequest(`http://127.0.0.1:${port}/`, 'kelly@example.com'))
  const { bodyFile, staticDoc: docFile } = await peerFiles(mock.url, signedRequest(mock.url, 'kelly@example.com'), dir)
  await mock.stop()

  const rows: { label: string; args: (port: number) => string[]; email: string; times: number[] }[] = [
    { label: '`ckit mock` (default logging), first answer for a customer of the data folder', args: (p) => mockCommand(p), email: 'kelly@example.com', times: [] },
    { label: '`ckit mock`, first answer for a generated customer (loads Faker)', args: (p) => mockCommand(p), email: 'first@example.com', times: [] },
    { label: 'bare fastify route', args: (p) => bareCommand(p, bodyFile), email: 'kelly@example.com', times: [] },
    { label: 'Prism 5.14.2 static, our document', args: (p) => prismCommand(p, docFile, false), email: 'kelly@example.com', times: [] },
  ]
  const node: number[] = []
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`  start-up run ${i + 1}/${RUNS}\n`)
    for (const row of rows) row.times.push(await timeStart(row.args, row.email, '/dev/null'))
    const started = performance.now()
    execFileSync(process.execPath, ['-e', '0'])
    node.push(performance.now() - started)
  }

  // What the mock has imported by the time it answers the first request.
  const traceFile = join(dir, 'imports.txt')
  process.env['CKIT_TRACE_IMPORTS'] = traceFile
  await timeStart((p) => ['--import', TRACE, ...mockCommand(p)], 'kelly@example.com', '/dev/null')
  delete process.env['CKIT_TRACE_IMPORTS']
  const loaded = new Set(readFileSync(traceFile, 'utf8').split('\n').filter(Boolean))
  rmSync(dir, { recursive: true, force: true })

  const mockMs = median(rows[0]!.times)
  return [
    `Spawn to the first 200 answer to a signed request (polled every 2 ms), median of ${RUNS} runs that alternate the targets, (min–max) after it. Target for \`ckit mock\`: ≤ ${TARGET_MS} ms.`,
    '',
    '| process | ms |',
    '|---|---:|',
    ...rows.map((row, i) => `| ${row.label} | ${fixed(median(row.times), 0)} (${range(row.times, 0)})${i === 0 ? (mockMs <= TARGET_MS ? ' ✓' : ' ✗') : ''} |`),
    `| \`node -e 0\` (spawn to exit) | ${fixed(median(node), 0)} (${range(node, 0)}) |`,
    '',
    `Loaded before the first answer (ES imports traced with a module hook): ${LAZY.map((name) => `${name} ${loaded.has(name) ? '**yes**' : 'no'}`).join(', ')}.`,
    '',
    'What each import costs on its own (fresh `node`, median of 5):',
    '',
    '| import | ms |',
    '|---|---:|',
    ...[...HEAVY, 'connection-kit/mock', 'connection-kit/render', 'connection-kit/signature'].map((name) => `| \`${name}\` | ${fixed(importMs(name), 0)} |`),
  ].join('\n')
}
