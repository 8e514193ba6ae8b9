import { randomInt } from 'node:crypto'
import { appendFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import type { AttemptLog, DeliverOptions, Delivery, DeliveryResult, SchemeName } from '../../../webhooks/index.js'
import type { Io } from '../../io.js'
import { DELIVERY_DEFAULTS, SCHEME_NAMES } from '../../../webhooks/defaults.js'
import { EXIT } from '../../exit-codes.js'
import { percentile } from '../../../http/latency.js'
import { durationOption, formatDuration, urlOption, wholeNumberOption } from '../../parse.js'
import { resolveSecret, SECRET_ENV } from '../sign.js'

/** What senderOptions declares, as commander hands it over. */
export interface SenderFlags {
  readonly to: string
  readonly secret?: string
  readonly scheme: SchemeName
  readonly attempts?: number
  readonly backoff?: number
  readonly timeout?: number
  readonly concurrency?: number
  readonly log?: string
  readonly json?: true
}

/** The sender's flags, shared by send and simulate. */
export function senderOptions(command: Command): Command {
  return command
    .requiredOption('--to <url>', "the receiver's URL", urlOption('--to'))
    .option('--secret <secret>', `signing secret (default $${SECRET_ENV})`)
    .addOption(new Option('--scheme <scheme>', 'how deliveries are signed').choices([...SCHEME_NAMES]).default(DELIVERY_DEFAULTS.scheme))
    .option('--attempts <n>', `attempts per delivery (default ${DELIVERY_DEFAULTS.attempts})`, wholeNumberOption('--attempts', 1, 100))
    .option('--backoff <duration>', `the first retry waits up to this, each later one up to twice as long (default ${formatDuration(DELIVERY_DEFAULTS.backoffMs)})`, durationOption('--backoff'))
    .option('--timeout <duration>', `per attempt (default ${formatDuration(DELIVERY_DEFAULTS.timeoutMs)})`, durationOption('--timeout'))
    .option('--concurrency <n>', `deliveries in flight at once (default ${DELIVERY_DEFAULTS.concurrency})`, wholeNumberOption('--concurrency', 1, 1000))
    .option('--log <file.jsonl>', 'append one JSON line per attempt (delivery id, event, attempt, status, latency, error kind)')
    .option('--json', 'print one JSON summary on stdout')
}

function deliverOptionsFrom(options: SenderFlags, io: Io, onAttempt: (entry: AttemptLog) => void): DeliverOptions {
  return {
    secret: resolveSecret(options, io),
    scheme: options.scheme,
    onAttempt,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.backoff !== undefined ? { backoffMs: options.backoff } : {}),
    ...(options.timeout !== undefined ? { timeoutMs: Math.max(1, options.timeout) } : {}),
  }
}

/** The seed of generated bodies: the user's, or a new one per run. */
export interface RunSeed {
  readonly value: number
  /** Given with --seed (so the run is already reproducible). */
  readonly chosen: boolean
}

/**
 * Real deliveries are unique: without --seed every run draws its own, so a receiver's replay
 * guard (which our docs recommend) does not refuse a second run's bodies as replays. The seed is
 * printed, so a run can still be repeated exactly.
 */
export function runSeed(options: { readonly seed?: number | undefined }): RunSeed {
  const given = options.seed
  return given === undefined ? { value: randomInt(1, 2 ** 30), chosen: false } : { value: given, chosen: true }
}


/**
 * Sends deliveries at an optional rate with a concurrency limit, logs attempts, shows progress on
 * a terminal, and prints the summary. Each group is delivered in order (a story's events must
 * arrive as they happened); groups run side by side. Exits ok when all were delivered, remote when any failed.
 */
export async function sendAll(io: Io, groups: readonly (readonly Delivery[])[], options: SenderFlags, ratePerSecond: number | undefined, seed?: RunSeed): Promise<number> {
  const { createSender } = await import('../../../webhooks/index.js')
  const logFile = options.log
  const lines: string[] = []
  const send = createSender(
    deliverOptionsFrom(options, io, (entry) => {
      if (logFile) lines.push(`${JSON.stringify(entry)}\n`)
    }),
  )
  const concurrency = options.concurrency ?? DELIVERY_DEFAULTS.concurrency
  const total = groups.reduce((sum, group) => sum + group.length, 0)
  const results: DeliveryResult[] = []
  let nextGroup = 0
  let slot = 0
  const t0 = performance.now()
  const worker = async () => {
    while (nextGroup < groups.length) {
      const group = groups[nextGroup++]!
      for (const delivery of group) {
        if (ratePerSecond !== undefined) {
          const wait = t0 + (slot++ * 1000) / ratePerSecond - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        }
        results.push(await send(options.to, delivery))
        io.progress?.(`delivered ${results.filter((r) => r.delivered).length}, failed ${results.filter((r) => !r.delivered).length}, ${results.length}/${total}`)
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker))
  } finally {
    io.progress?.(null)
    if (logFile) await appendFile(resolve(io.cwd, logFile), lines.join(''))
  }
  const latencies = results.flatMap((r) => r.attempts.map((a) => a.latencyMs)).sort((a, b) => a - b)
  const summary = {
    deliveries: results.length,
    delivered: results.filter((r) => r.delivered).length,
    retried: results.filter((r) => r.attempts.length > 1).length,
    failed: results.filter((r) => !r.delivered).length,
    p50Ms: percentile(latencies, 50) ?? null,
    p95Ms: percentile(latencies, 95) ?? null,
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ...summary, ...(seed === undefined ? {} : { seed: seed.value }), results }, null, 2)}\n`)
  } else {
    for (const r of results.filter((x) => !x.delivered)) {
      const last = r.attempts[r.attempts.length - 1]!
      const answer = last.answer === undefined ? '' : `; the receiver answered: ${last.answer.replace(/\s+/g, ' ').slice(0, 300)}`
      io.stderr.write(`failed ${r.event} ${r.deliveryId} after ${r.attempts.length} attempt(s): ${last.error ?? `HTTP ${last.status}`}${answer}\n`)
    }
    const seedNote = seed === undefined ? '' : `; seed ${seed.value}${seed.chosen ? '' : ` (--seed ${seed.value} sends these bodies again)`}`
    io.stdout.write(`delivered ${summary.delivered}/${summary.deliveries}, retried ${summary.retried}, failed ${summary.failed}; latency p50 ${summary.p50Ms ?? '-'} ms, p95 ${summary.p95Ms ?? '-'} ms${seedNote}\n`)
  }
  return summary.failed > 0 ? EXIT.remote : EXIT.ok
}
