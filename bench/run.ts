// npm run bench [filter]: runs bench/*.bench.ts (those whose name contains filter) and, for a full
// run, writes bench/results.md. Server benchmarks (http, startup, soak) alternate their own rounds
// and return a section; library micro-benchmarks (tinybench) are run in alternating rounds here.
import { readdirSync, writeFileSync } from 'node:fs'
import type { Bench } from 'tinybench'
import { machineLine } from './machine.js'
import { fixed, median, range } from './stats.js'
import { SWITCHES_ANCHOR } from './library.bench.js'
import { RENDER_ANCHOR } from './render.bench.js'
import { VALIDATE_ANCHOR } from './validate.bench.js'

const dir = new URL('./', import.meta.url)
const only = process.argv[2]
const MICRO_ROUNDS = Number(process.env['CKIT_BENCH_ROUNDS'] ?? 3)
/** Order in results.md: what users run first, then the library. */
const ORDER = ['http', 'startup', 'soak', 'install', 'render', 'library', 'validate']
/**
 * 🔧 Library targets (issue #24 item 6), by task name: a ratio to an anchor measured in the same
 * rounds — raw liquidjs or raw ajv doing the same work — because absolute ops/s pass on one VM and
 * fail on another. `absolute` is the former target, kept for reference. How the ratios were
 * chosen: docs/performance.md.
 */
const TARGETS: Record<string, { anchor: string; ratio: number; absolute: number }> = {
  'render 10 sections, templates cached': { anchor: RENDER_ANCHOR, ratio: 10, absolute: 20_000 },
  'evaluate 100 switches against one message.created event with customer data': { anchor: SWITCHES_ANCHOR, ratio: 0.38, absolute: 500 },
  'validate a valid response (seed example)': { anchor: VALIDATE_ANCHOR, ratio: 0.1, absolute: 100_000 },
}

const rank = (file: string) => ORDER.findIndex((name) => file.startsWith(name))
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)))
  .sort((a, b) => rank(a) - rank(b))
type Module = { run(): Promise<Bench | string> }
const modules = await Promise.all(files.map(async (file) => ({ file, mod: (await import(new URL(file, dir).href)) as Module })))

const sections = new Map<string, string>()
const micro = new Map<string, Map<string, number[]>>()
for (let round = 0; round < MICRO_ROUNDS; round++) {
  for (const { file, mod } of modules) {
    if (sections.has(file)) continue
    console.error(`running ${file}${micro.has(file) || round === 0 ? ` (round ${round + 1})` : ''}…`)
    const outcome = await mod.run()
    if (typeof outcome === 'string') {
      sections.set(file, outcome)
      continue
    }
    const tasks = micro.get(file) ?? new Map<string, number[]>()
    for (const task of outcome.tasks) {
      const throughput = (task.result as { throughput?: { mean: number } } | undefined)?.throughput?.mean ?? 0
      tasks.set(task.name, [...(tasks.get(task.name) ?? []), throughput])
    }
    micro.set(file, tasks)
  }
}
for (const [file, tasks] of micro) {
  const rows = [...tasks].map(([name, ops]) => {
    const target = TARGETS[name]
    const anchor = target ? tasks.get(target.anchor) : undefined
    let versus = '—'
    let verdict = '—'
    if (target && anchor) {
      // Round by round, like the HTTP ratios: both figures of a ratio come from the same round.
      const ratios = ops.map((x, i) => x / anchor[i]!)
      versus = `${fixed(median(ratios), 2)} (${range(ratios, 2)})`
      verdict = `≥ ${target.ratio}${median(ratios) >= target.ratio ? ' ✓' : ' ✗'} (was ≥ ${target.absolute.toLocaleString('en-US')}/s${median(ops) >= target.absolute ? ' ✓' : ' ✗'})`
    }
    return `| ${name} | ${fixed(median(ops), 0)} | ${range(ops, 0)} | ${fixed(1e6 / median(ops), 1)} µs | ${versus} | ${verdict} |`
  })
  sections.set(
    file,
    `tinybench, ${MICRO_ROUNDS} rounds alternating with the other library benchmarks; median ops/s and the (min–max) of the rounds. A target is a ratio to its anchor (raw liquidjs or ajv doing the same work in the same round), computed round by round; the former absolute target is kept for reference.\n\n| task | ops/s | rounds | per op | × anchor | target |\n|---|---:|---:|---:|---:|---:|\n${rows.join('\n')}`,
  )
}

const body = files.map((file) => `## ${file}\n\n${sections.get(file)}`).join('\n\n')
const report = `# Benchmark results\n\nMachine: ${machineLine()}\nDate: ${new Date().toISOString()}\n\nProduced by \`npm run bench\` (never part of \`npm test\`); how to read and reproduce it: docs/performance.md.\n\n${body}\n`
// A filtered run (npm run bench render) only prints: results.md always holds a complete run.
if (!only) writeFileSync(new URL('results.md', dir), report)
console.log(report)
