import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CustomerPanel } from '../../src/client/index.js'
import { startMock } from '../../src/mock/index.js'
import { readFixture } from '../helpers.js'

const ORIGIN = 'https://crm.example.com'
const seed = readFixture('examples/seed-response.json') as object
const panel = () =>
  new CustomerPanel({ url: `${ORIGIN}/yetto`, secret: 's' }, { inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email: 'kelly@example.com' }, timeoutMs: 300 })

describe('CustomerPanel: never earlier data', () => {
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  afterAll(() => nock.enableNetConnect())

  it('after a success then a failure, shows the error and nothing of the old data', async () => {
    nock(ORIGIN).get(/.*/).reply(200, seed).get(/.*/).reply(503, 'down')
    const p = panel()
    expect((await p.open()).status).toBe('shown')
    expect(p.html()).toContain('Kelly Customer')
    const after = await p.refresh()
    expect(after).toMatchObject({ status: 'error', reason: 'refresh', error: { kind: 'http_status', status: 503 } })
    expect(JSON.stringify(p.state)).not.toContain('Kelly')
    expect(p.html()).not.toContain('Kelly Customer')
    expect(p.html()).toContain('data-kind="http_status"')
  })

  it('makes a fresh request for every open, refresh and automation run', async () => {
    nock.enableNetConnect('127.0.0.1')
    const mock = await startMock({ port: 0, secret: 's' })
    try {
      const p = new CustomerPanel({ url: mock.url, secret: 's' }, { inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email: 'kelly@example.com' } })
      await p.open()
      await p.refresh()
      expect(await p.automationRun()).toMatchObject({ status: 'shown', reason: 'automation' })
      const reasons = mock.app.ckitMock.journal.list().map((e) => e.context?.reason).reverse()
      expect(reasons).toEqual(['conversation_viewed', 'refresh', 'automation'])
    } finally {
      await mock.close()
      nock.disableNetConnect()
    }
  })

  it('stops showing data the moment a new request starts', async () => {
    nock(ORIGIN).get(/.*/).reply(200, seed).get(/.*/).delay(100).reply(200, seed)
    const p = panel()
    await p.open()
    const pending = p.refresh()
    expect(p.state).toEqual({ status: 'loading', reason: 'refresh' })
    expect((await pending).status).toBe('shown')
  })

  it('does not let a slow earlier answer overwrite a newer failure', async () => {
    nock(ORIGIN).get(/.*/).delay(150).reply(200, seed).get(/.*/).reply(500, 'boom')
    const p = panel()
    const slow = p.open()
    const failed = await p.refresh()
    expect(failed.status).toBe('error')
    await slow
    expect(p.state.status).toBe('error')
    p.close()
    expect(p.state).toEqual({ status: 'closed' })
  })

  it('writes nothing to disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckit-panel-'))
    const previous = process.cwd()
    process.chdir(dir)
    try {
      nock(ORIGIN).get(/.*/).reply(200, seed).get(/.*/).reply(200, 'nope')
      const p = panel()
      await p.open()
      await p.refresh()
      expect(await readdir(dir)).toEqual([])
    } finally {
      process.chdir(previous)
      await rm(dir, { recursive: true, force: true })
    }
    // And the client has no way to: none of its files touches the file system.
    for (const file of ['panel.ts', 'request.ts', 'http.ts', 'failure.ts']) {
      const source = await readFile(new URL(`../../src/client/${file}`, import.meta.url), 'utf8')
      expect(source, file).not.toMatch(/node:fs|from 'fs'|writeFile|localStorage/)
    }
  })
})
