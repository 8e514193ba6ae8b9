import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../src/mock/index.js'
import { buildSignedRequest } from '../src/signature/index.js'
import { startCli } from './helpers.js'

/**
 * README.md is code users copy. The tour runs line by line against a live mock; the TypeScript
 * snippets are type-checked (strict, nodenext) and run from the packed tarball installed into a
 * fresh project, where every documented import path must resolve from JavaScript too.
 */
const exec = promisify(execFile)
const root = new URL('..', import.meta.url).pathname
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = (lang: string) => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!)

/** The packed tarball installed into a fresh project, as a user gets it; shared by the tour and the snippets. */
let project: string
let manifestBeforePack: string
beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'ckit-pack-'))
  manifestBeforePack = readFileSync(join(root, 'package.json'), 'utf8')
  const { stdout } = await exec('npm', ['pack', '--silent', '--pack-destination', project], { cwd: root })
  const tarball = join(project, stdout.trim().split('\n').pop()!)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-user', private: true, type: 'module' }))
  await exec('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: project })
}, 240_000)
// A fresh install is thousands of files: on a busy machine removing them takes longer than a default hook.
afterAll(() => rm(project, { recursive: true, force: true }), 120_000)

describe('the README tour, from the installed package', () => {
  let mock: RunningMock
  let listener: { url: string; stop: () => Promise<number> }
  beforeAll(async () => {
    mock = await startMock({ port: 0 })
    listener = await startListener()
  })
  afterAll(async () => {
    await listener.stop()
    await mock.close()
  })

  it('runs every command as written (the mock on a free port instead of 4010)', async () => {
    const tour = /## A short tour[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!
    const commands = tour
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
    expect(commands[0]).toBe('npx ckit mock')
    const host = new URL(mock.url).host
    const listenerHost = new URL(listener.url).host
    for (const command of commands.slice(1)) {
      // `ckit mock` and `ckit webhooks listen` serve until stopped: the test's own stand in for them.
      if (command.startsWith('npx ckit mock') || command.startsWith('npx ckit webhooks listen')) continue
      // Only what the package ships: nothing of the repo is reachable from the project.
      expect(command).not.toMatch(/(^|\s)(test|src|examples)\//)
      const line = command.replaceAll('127.0.0.1:4010', host).replaceAll('127.0.0.1:4020', listenerHost)
      const run = await exec('bash', ['-c', line], { cwd: project, env: { ...process.env, NO_COLOR: '1' } }).catch((error: { code: number; stderr: string }) => error)
      expect((run as { code?: number }).code ?? 0, `${line}\n${(run as { stderr?: string }).stderr ?? ''}`).toBe(0)
      if (line.includes('x@timeout.test')) expect((run as { stdout: string }).stdout).toContain('exit 3')
    }
    expect(readFileSync(join(project, 'sidebar.html'), 'utf8')).toContain('<!doctype html>')
  }, 120_000)
})

/** `ckit webhooks listen --secret s3cret --replay-guard`, as the tour starts it, on a free port. */
async function startListener() {
  const { firstLine, stop } = await startCli(['webhooks', 'listen', '--port', '0', '--secret', 's3cret', '--replay-guard', '--json'])
  return { url: (JSON.parse(firstLine) as { listening: string }).listening, stop }
}

describe('the README snippets, from the packed package', () => {
  let packMock: RunningMock
  let mockUrl: string
  beforeAll(async () => {
    packMock = await startMock({ port: 0 })
    mockUrl = packMock.url
    blocks('ts').forEach((code, i) => writeFileSync(join(project, `snippet-${i}.ts`), code))
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, outDir: 'out', types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
        include: ['snippet-*.ts'],
      }),
    )
  })
  afterAll(async () => {
    await packMock.close()
  })

  it('ships no repo-only lifecycle script (npm warned "install-scripts … prepare" on every install), and packing leaves package.json as it was', () => {
    const shipped = JSON.parse(readFileSync(join(project, 'node_modules/connection-kit/package.json'), 'utf8')) as { scripts?: Record<string, string>; bin?: Record<string, string> }
    for (const script of ['prepare', 'prepack', 'postpack', 'preinstall', 'install', 'postinstall']) expect(shipped.scripts ?? {}).not.toHaveProperty(script)
    expect(shipped.bin).toHaveProperty('ckit')
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe(manifestBeforePack)
    expect(JSON.parse(manifestBeforePack).scripts).toHaveProperty('prepare')
  })

  it('installs without the optional Pact engine, and ckit pact verify then says how to add it (exit 2)', async () => {
    expect(existsSync(join(project, 'node_modules/@pact-foundation/pact'))).toBe(false)
    const ckit = join(project, 'node_modules/.bin/ckit')
    const run = await exec(ckit, ['pact', 'verify', '--provider-base-url', mockUrl, '--secret', 'ckit-mock-secret'], { cwd: project }).catch((error: { code: number; stderr: string }) => error)
    expect((run as { code?: number }).code).toBe(2)
    expect((run as { stderr: string }).stderr).toMatch(/npm install --save-dev @pact-foundation\/pact@16/)
  })

  it('imports every documented path from JavaScript', async () => {
    const paths = [...new Set([...readme.matchAll(/from '(connection-kit(?:\/\w+)?)'/g)].map((m) => m[1]!))]
    expect(paths).toEqual(expect.arrayContaining(['connection-kit/signature', 'connection-kit/client', 'connection-kit/mock', 'connection-kit/render', 'connection-kit/automation', 'connection-kit/schema']))
    const script = `for (const p of ${JSON.stringify([...paths, 'connection-kit'])}) { const m = await import(p); if (Object.keys(m).length === 0) throw new Error(p + ' exports nothing') }; console.log('ok')`
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: project })
    expect(stdout.trim()).toBe('ok')
  })

  it('type-checks every snippet (strict, nodenext) and runs each', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    const compiled = await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((error: { stdout: string }) => error)
    expect((compiled as { stdout: string }).stdout).toBe('')
    const count = blocks('ts').length
    for (let i = 0; i < count; i++) {
      const file = join(project, 'out', `snippet-${i}.js`)
      const source = readFileSync(join(project, `snippet-${i}.ts`), 'utf8')
      if (source.includes('.listen(')) {
        await exerciseServer(file)
        continue
      }
      const { stdout } = await exec(process.execPath, [file], { cwd: project, env: { ...process.env, YETTO_WEBHOOK_SECRET: 'whsec' } })
      expect(typeof stdout).toBe('string')
    }
  }, 60_000)
})

/** The endpoint snippet serves; it must answer a signed request with data and an unsigned one with 401. */
async function exerciseServer(file: string): Promise<void> {
  const child = spawn(process.execPath, [file], { env: { ...process.env, PORT: '0', YETTO_SECRET: 's3cret' }, stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /port: (\d+)/.exec(out)
        if (match) resolve(Number(match[1]))
      })
      child.once('exit', (code) => reject(new Error(`the endpoint snippet exited with ${code}`)))
    })
    const signed = buildSignedRequest({
      url: `http://127.0.0.1:${port}/yetto`,
      secret: 's3cret',
      context: { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } },
    })
    const answer = await fetch(signed.url, { headers: signed.headers })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ version: '2024-03-06', customer: { email: 'kelly@example.com' } })
    expect((await fetch(signed.url)).status).toBe(401)
  } finally {
    child.kill()
  }
}
