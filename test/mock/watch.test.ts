import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import type { ReloadResult } from '../../src/mock/watch.js'
import { buildSignedRequest } from '../../src/signature/index.js'
import { cli, startCli } from '../helpers.js'

const dirs: string[] = []
const mocks: RunningMock[] = []
afterAll(async () => {
  for (const mock of mocks) await mock.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('ckit mock init and --watch', () => {
  it('init copies the defaults into a new folder, and never over an existing one', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ckit-init-'))
    dirs.push(parent)
    const created = await cli(['mock', 'init', join(parent, 'data')])
    expect(created.code).toBe(0)
    expect(JSON.parse(readFileSync(join(parent, 'data', 'customers', 'kelly@example.com.json'), 'utf8'))).toMatchObject({ email: 'kelly@example.com' })
    expect((await cli(['mock', 'init', join(parent, 'data')])).code).toBe(2)
    expect((await cli(['mock', '--watch'])).stderr).toMatch(/--watch needs --data/)
  })

  it('applies edits while running, all or nothing: an invalid edit keeps the last good data', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ckit-watch-'))
    dirs.push(parent)
    const dir = join(parent, 'data')
    await cli(['mock', 'init', dir])
    const reloads: ReloadResult[] = []
    const mock = await startMock({ port: 0, secret: 's', dataDir: dir, watch: (result) => reloads.push(result) })
    mocks.push(mock)
    const name = async () => {
      const request = buildSignedRequest({ url: mock.url, secret: 's', context: { reason: 'refresh', requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email: 'kelly@example.com' } } })
      return ((await (await fetch(request.url, { headers: request.headers })).json()) as { customer: { name: string } }).customer.name
    }
    const file = join(dir, 'customers', 'kelly@example.com.json')
    const kelly = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    expect(await name()).toBe(kelly['name'])
    // Saved by rename, as many editors do.
    writeFileSync(`${file}.tmp`, JSON.stringify({ ...kelly, name: 'Kelly Renamed' }))
    renameSync(`${file}.tmp`, file)
    await expect.poll(() => reloads.length, { timeout: 5000 }).toBeGreaterThan(0)
    expect(reloads.at(-1)).toEqual({ ok: true })
    expect(await name()).toBe('Kelly Renamed')
    const before = reloads.length
    writeFileSync(join(dir, 'sections.json.good'), readFileSync(join(dir, 'sections.json'), 'utf8'))
    writeFileSync(join(dir, 'sections.json'), '[{"type": "link", "title": "no href"}]')
    await expect.poll(() => reloads.length, { timeout: 5000 }).toBeGreaterThan(before)
    expect(reloads.at(-1)).toMatchObject({ ok: false, message: expect.stringMatching(/sections\.json\/0\/href: is required/) })
    expect(await name()).toBe('Kelly Renamed')
    // Deleting the file: kelly becomes a generated customer (the folder is still valid).
    writeFileSync(join(dir, 'sections.json'), readFileSync(join(dir, 'sections.json.good'), 'utf8'))
    const beforeDelete = reloads.length
    rmSync(file)
    await expect.poll(() => reloads.length, { timeout: 5000 }).toBeGreaterThan(beforeDelete)
    await expect.poll(async () => (await mock.customers.served('kelly@example.com')).origin, { timeout: 5000 }).toBe('generated')
  })

  it('ckit mock --watch reports each reload on stderr', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ckit-watch-cli-'))
    dirs.push(parent)
    const dir = join(parent, 'data')
    await cli(['mock', 'init', dir])
    const running = await startCli(['mock', '--port', '0', '--log', 'off', '--json', '--data', dir, '--watch'])
    writeFileSync(join(dir, 'scenarios.yaml'), 'default: [broken')
    await expect.poll(() => running.out.stderr, { timeout: 5000 }).toMatch(/not reloaded, still serving the last good data: .*scenarios\.yaml/)
    expect(await running.stop()).toBe(0)
  })
})
