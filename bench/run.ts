// npm run bench [filter]: runs bench/*.bench.ts (those whose name contains filter) and, for a full
// run, writes bench/results.md. Server benchmarks (http, startup, soak) alternate their own rounds
// and return a section; library micro-benchmarks (tinybench) are run in alternating rounds here.
import { readdirSync, writeFileSync } from 'node:fs'
import type { Bench } from 'tinybench'
import { machineLine } from './machine.js'
import { fixed, median, range } from './stats.js'

const dir = new URL('./', import.meta.url)
const only = process.argv[2]
const MICRO_ROUNDS = Number(process.env['CKIT_BENCH_ROUNDS'] ?? 3)
/** Order in results.md: what users run first, then the library. */
const ORDER = ['http', 'startup', 'soak', 'install', 'render', 'library', 'validate']
/** 🔧 Targets for library operations (issue #14), by task name. */
const TARGETS: Record<string, number> = {
  'render 10 sections, templates cached': 20_000,
  'evaluate 100 switches against one message.created event with customer data': 500,
  'validate a valid response (seed example)': 100_000,
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
    const verdict = target === undefined ? '—' : `≥ ${target.toLocaleString('en-US')}${median(ops) >= target ? ' ✓' : ' ✗'}`
    return `| ${name} | ${fixed(median(ops), 0)} | ${range(ops, 0)} | ${fixed(1e6 / median(ops), 1)} µs | ${verdict} |`
  })
  sections.set(file, `tinybench, ${MICRO_ROUNDS} rounds alternating with the other library benchmarks; median ops/s and the (min–max) of the rounds.\n\n| task | ops/s | rounds | per op | target |\n|---|---:|---:|---:|---:|\n${rows.join('\n')}`)
}

const body = files.map((file) => `## ${file}\n\n${sections.get(file)}`).join('\n\n')
const report = `# Benchmark results\n\nMachine: ${machineLine()}\nDate: ${new Date().toISOString()}\n\nProduced by \`npm run bench\` (never part of \`npm test\`); how to read and reproduce it: docs/performance.md.\n\n${body}\n`
// A filtered run (npm run bench render) only prints: results.md always holds a complete run.
if (!only) writeFileSync(new URL('results.md', dir), report)
console.log(report)
