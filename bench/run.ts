// npm run bench [filter]: runs bench/*.bench.ts (those whose name contains filter) and, for a full
// run, writes bench/results.md with the machine line.
import { readdirSync, writeFileSync } from 'node:fs'
import type { Bench } from 'tinybench'
import { machineLine } from './machine.js'

const dir = new URL('./', import.meta.url)
const only = process.argv[2]
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only))).sort()
const sections: string[] = []
for (const file of files) {
  console.error(`running ${file}…`)
  const mod = (await import(new URL(file, dir).href)) as { run(): Promise<Bench | string> }
  const outcome = await mod.run()
  if (typeof outcome === 'string') {
    sections.push(`## ${file}\n\n${outcome}`)
    continue
  }
  const rows = outcome.tasks.map((task) => {
    const r = task.result as { throughput?: { mean: number }; latency?: { mean: number; p99?: number } } | undefined
    const ops = r?.throughput?.mean ?? 0
    const mean = r?.latency?.mean ?? 0
    const p99 = r?.latency?.p99 ?? 0
    return `| ${task.name} | ${Math.round(ops).toLocaleString('en-US')} | ${(mean * 1000).toFixed(1)} µs | ${(p99 * 1000).toFixed(1)} µs |`
  })
  sections.push(`## ${file}\n\n| task | ops/s | mean | p99 |\n|---|---:|---:|---:|\n${rows.join('\n')}`)
}
const report = `# Benchmark results\n\nMachine: ${machineLine()}\nDate: ${new Date().toISOString()}\n\nProduced by \`npm run bench\`; never part of \`npm test\`.\n\n${sections.join('\n\n')}\n`
// A filtered run (npm run bench render) only prints: results.md always holds a complete run.
if (!only) writeFileSync(new URL('results.md', dir), report)
console.log(report)
