// A soak of the mock as users run it (default logging, journal on): a fixed rate of requests, each
// from a requester never seen before, with the server's RSS sampled from /proc every 5 s.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { identityRequests, signedRequest } from './load.js'
import { cpuSeconds, freePort, mockCommand, rssBytes, startTarget } from './targets.js'
import { fixed } from './stats.js'

const SECONDS = Number(process.env['CKIT_SOAK_SECONDS'] ?? 60)
const RATE = 500
const SAMPLE_MS = 5000
const WARM_UP_S = 15
/** The target: resident memory stays under this after warm-up. */
const RSS_LIMIT_MB = 150

interface Soak {
  readonly label: string
  readonly text: string
}

async function soak(label: string, nodeFlags: readonly string[]): Promise<Soak> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'ckit-soak-'))
  const mock = await startTarget([...nodeFlags, ...mockCommand(port)], port, signedRequest(`http://127.0.0.1:${port}/`, 'soak@example.com'), join(dir, 'mock.log'))
  try {
    const started = performance.now()
    const samples: { at: number; rssMb: number }[] = [{ at: 0, rssMb: rssBytes(mock.pid) / 2 ** 20 }]
    const timer = setInterval(() => samples.push({ at: Math.round((performance.now() - started) / 1000), rssMb: rssBytes(mock.pid) / 2 ** 20 }), SAMPLE_MS)
    const cpuBefore = cpuSeconds(mock.pid)
    const result = await autocannon({ url: mock.url, connections: 10, overallRate: RATE, duration: SECONDS, requests: identityRequests(mock.url, 'fresh') })
    clearInterval(timer)
    if (samples.at(-1)!.at < SECONDS) samples.push({ at: SECONDS, rssMb: rssBytes(mock.pid) / 2 ** 20 })
    const failures = result.non2xx + result.errors + result.timeouts
    const settled = samples.filter((s) => s.at >= WARM_UP_S)
    const peak = Math.max(...samples.map((s) => s.rssMb))
    const growth = settled.length > 1 ? settled.at(-1)!.rssMb - settled[0]!.rssMb : 0
    const cpuUs = ((cpuSeconds(mock.pid) - cpuBefore) / Math.max(1, result.requests.total)) * 1e6
    return {
      label,
      text: [
        `### ${label}`,
        '',
        `**${result.requests.total.toLocaleString('en-US')} requests, ${failures} failed** (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts); p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ${fixed(cpuUs, 0)} µs CPU per request. RSS peak **${fixed(peak, 0)} MB** (target < ${RSS_LIMIT_MB} MB${peak < RSS_LIMIT_MB ? ' ✓' : ' ✗'}); from ${WARM_UP_S} s to the end **${growth >= 0 ? '+' : ''}${fixed(growth, 1)} MB**.`,
        '',
        `| seconds | ${samples.map((s) => s.at).join(' | ')} |`,
        `|---|${samples.map(() => '---:').join('|')}|`,
        `| RSS MB | ${samples.map((s) => fixed(s.rssMb, 0)).join(' | ')} |`,
      ].join('\n'),
    }
  } finally {
    await mock.stop()
  }
}

export async function run(): Promise<string> {
  const runs = [await soak('`ckit mock`, defaults', []), await soak('`ckit mock`, defaults, with `NODE_OPTIONS=--max-old-space-size=96`', ['--max-old-space-size=96'])]
  return [
    `${SECONDS} s at ${RATE} req/s (autocannon, 10 connections), every request from a new requester (a new e-mail, context and signature), against \`ckit mock\` with its defaults: JSON request log on stderr (to a file), journal of 1,000 entries, customer cache bounded by count and size. RSS of the server process from /proc every ${SAMPLE_MS / 1000} s. The second run caps V8's old generation: it shows how much of the first run's RSS is garbage V8 had not yet collected rather than memory the mock holds.`,
    '',
    ...runs.map((r) => r.text),
  ].join('\n\n')
}
