// What a user's `npm install` costs: the packed tarball into a fresh project, without and with
// the optional Pact engine, in alternating rounds from npm's warm cache (so the figure is npm's
// own work and the unpacked size, not the network).
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fixed, median, range } from './stats.js'

const exec = promisify(execFile)
const root = new URL('..', import.meta.url).pathname
const ROUNDS = Number(process.env['CKIT_BENCH_INSTALL_ROUNDS'] ?? 3)

function sizeOf(path: string): number {
  let total = 0
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) total += sizeOf(full)
    else if (entry.isFile()) total += statSync(full).size
  }
  return total
}

interface Install {
  seconds: number
  packages: number
  megabytes: number
}

async function install(tarball: string, withPact: boolean): Promise<Install> {
  const project = mkdtempSync(join(tmpdir(), 'ckit-install-'))
  try {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-bench', private: true }))
    const started = performance.now()
    await exec('npm', ['install', tarball, ...(withPact ? ['@pact-foundation/pact@16'] : []), '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: project })
    const seconds = (performance.now() - started) / 1000
    const { stdout } = await exec('npm', ['ls', '--all', '--parseable'], { cwd: project, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout: string }) => error)
    const packages = new Set(stdout.trim().split('\n').slice(1)).size
    return { seconds, packages, megabytes: sizeOf(join(project, 'node_modules')) / 1024 / 1024 }
  } finally {
    rmSync(project, { recursive: true, force: true })
  }
}

export async function run(): Promise<string> {
  const packDir = mkdtempSync(join(tmpdir(), 'ckit-pack-'))
  try {
    const { stdout } = await exec('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root })
    const tarball = join(packDir, stdout.trim().split('\n').pop()!)
    // A first install fills npm's cache; it is not measured.
    await install(tarball, true)
    const slim: Install[] = []
    const full: Install[] = []
    for (let round = 0; round < ROUNDS; round++) {
      slim.push(await install(tarball, false))
      full.push(await install(tarball, true))
    }
    const row = (name: string, runs: Install[]) =>
      `| ${name} | ${median(runs.map((r) => r.packages))} | ${fixed(median(runs.map((r) => r.megabytes)), 0)} MB | ${fixed(median(runs.map((r) => r.seconds)), 1)} s (${range(runs.map((r) => r.seconds), 1)}) |`
    return [
      `\`npm install\` of the packed tarball into a fresh project, ${ROUNDS} alternating rounds from npm's warm cache (\`--prefer-offline\`); median, (min–max) of the times. The Pact engine is an optional peer dependency that only \`ckit pact verify\` needs.`,
      '',
      '| install | packages | node_modules | time |',
      '|---|---:|---:|---:|',
      row('connection-kit', slim),
      row('connection-kit + @pact-foundation/pact@16', full),
    ].join('\n')
  } finally {
    rmSync(packDir, { recursive: true, force: true })
  }
}
