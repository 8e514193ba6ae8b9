import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadMockData } from '../../src/mock/data.js'
import { startMock } from '../../src/mock/index.js'
import { cli } from '../helpers.js'

/** A data folder someone else prepared (a repository, an archive) may hold links that point out of it. */
describe('the mock data folder', () => {
  let root: string
  let outside: string
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ckit-data-'))
    outside = join(root, 'outside')
    mkdirSync(outside)
    // Valid as a customer, so only where it lives can refuse it.
    writeFileSync(join(outside, 'secret.json'), JSON.stringify({ id: 'secret_1', name: 'Not for the mock', email: 'ops@example.com' }))
    writeFileSync(join(outside, 'sections.json'), '[]')
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  const initFolder = async (name: string) => {
    const dir = join(root, name)
    const run = await cli(['mock', 'init', dir])
    expect(run.code).toBe(0)
    return dir
  }

  it('refuses a customer file that links outside the folder, naming the file', async () => {
    const dir = await initFolder('with-link')
    symlinkSync(join(outside, 'secret.json'), join(dir, 'customers', 'evil@example.com.json'))
    expect(() => loadMockData(dir)).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/customers\/evil@example\.com\.json is a link to .*outside the data folder/) }))
    await expect(startMock({ port: 0, secret: 'k', dataDir: dir })).rejects.toMatchObject({ code: 'CKIT_MOCK_INVALID_DATA' })
    // The command line: exit 2 and one line, not a mock serving the file (stopped after 3 s if it were).
    const run = await cli(['mock', '--data', dir, '--port', '0', '--log', 'off'], { shutdown: new Promise((resolve) => setTimeout(() => resolve('SIGTERM'), 3000)) })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^ckit: .*evil@example\.com\.json is a link to .*outside the data folder/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses the other files too, and a customers/ folder that is itself a link out', async () => {
    const dir = await initFolder('sections-link')
    rmSync(join(dir, 'sections.json'))
    symlinkSync(join(outside, 'sections.json'), join(dir, 'sections.json'))
    expect(() => loadMockData(dir)).toThrow(expect.objectContaining({ message: expect.stringMatching(/sections\.json is a link to .*outside/) }))
    const other = await initFolder('customers-link')
    rmSync(join(other, 'customers'), { recursive: true })
    symlinkSync(outside, join(other, 'customers'))
    expect(() => loadMockData(other)).toThrow(expect.objectContaining({ message: expect.stringMatching(/customers\/secret\.json is a link to .*outside/) }))
  })

  it('still serves links that stay inside the folder, and a folder reached through a link', async () => {
    const dir = await initFolder('inside-link')
    symlinkSync(join(dir, 'customers', 'kelly@example.com.json'), join(dir, 'customers', 'kelly2@example.com.json'))
    const data = loadMockData(dir)
    expect(data.customers.get('kelly2@example.com')).toEqual(data.customers.get('kelly@example.com'))
    const viaLink = join(root, 'link-to-folder')
    symlinkSync(dir, viaLink)
    expect(loadMockData(viaLink).customers.size).toBe(data.customers.size)
  })

  it('--watch does not pick up a link to outside added while running: the last good data stays', async () => {
    const dir = await initFolder('watched')
    const reloads: { ok: boolean; message?: string }[] = []
    const mock = await startMock({ port: 0, secret: 'k', dataDir: dir, watch: (result) => reloads.push(result) })
    try {
      symlinkSync(join(outside, 'secret.json'), join(dir, 'customers', 'evil@example.com.json'))
      for (let waited = 0; reloads.length === 0 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50))
      expect(reloads.at(-1)).toMatchObject({ ok: false, message: expect.stringMatching(/evil@example\.com\.json is a link to .*outside the data folder/) })
      expect(await mock.customers.served('evil@example.com')).toMatchObject({ origin: 'generated' })
    } finally {
      await mock.close()
    }
  })

  it('mock init onto a dangling link, or under a file, is a usage error with one line, not exit 70', async () => {
    const dangling = join(root, 'dangling')
    symlinkSync(join(root, 'nowhere'), dangling)
    const run = await cli(['mock', 'init', dangling])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^ckit: .*dangling already exists \(a symbolic link\): choose a new folder\n$/)
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true)
    expect(existsSync(join(root, 'nowhere'))).toBe(false)
    writeFileSync(join(root, 'a-file'), 'x')
    const under = await cli(['mock', 'init', join(root, 'a-file', 'data')])
    expect(under.code).toBe(2)
    expect(under.stderr).toMatch(/^ckit: cannot create .*a-file\/data: a part of the path is a file, not a folder\n$/)
  })
})
