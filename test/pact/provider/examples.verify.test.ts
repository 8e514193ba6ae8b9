import { describe, expect, it } from 'vitest'
import { startMock } from '../../../src/mock/index.js'
import { cli, spawnUntil } from '../../helpers.js'

/** The example endpoints a builder copies, each verified the way a builder would: one command. */
describe.each(['node-http-endpoint', 'fastify-endpoint'])('examples/%s', (example) => {
  it('passes ckit pact verify with its own secret and state-change route', async () => {
    const { match: url, child } = await spawnUntil(new URL(`../../../examples/${example}/server.mjs`, import.meta.url).pathname, { PORT: '0', YETTO_SECRET: 'example-secret', ENABLE_PACT_STATES: '1' }, /customer endpoint on (\S+)/)
    try {
      const run = await cli(['pact', 'verify', '--provider-base-url', url, '--secret', 'example-secret', '--state-change-url', `${new URL(url).origin}/_pact/state`, '--json'])
      const report = JSON.parse(run.stdout) as { ok: boolean; interactions: { description: string; ok: boolean }[] }
      expect(report.interactions.filter((i) => !i.ok)).toEqual([])
      expect(run.code).toBe(0)
    } finally {
      child.kill()
    }
  }, 60_000)
})

describe('ckit pact verify', () => {
  it('names the failing interaction and exits 1 (here: the endpoint has another secret); unreachable exits 3; bad flags exit 2', async () => {
    const mock = await startMock({ port: 0, secret: 'the-real-secret', basePath: '/yetto' })
    try {
      const run = await cli(['pact', 'verify', '--provider-base-url', mock.url, '--secret', 'a-wrong-secret'])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/✖ a signed request for a known customer\n( {4}.*\n)* {4}expected 200 but was 401/)
      expect(run.stdout).toMatch(/✔ an unsigned request/)
    } finally {
      await mock.close()
    }
    const unreachable = await cli(['pact', 'verify', '--provider-base-url', 'http://127.0.0.1:9/yetto', '--secret', 's'])
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toMatch(/cannot reach the provider/)
    expect((await cli(['pact', 'verify', '--provider-base-url', 'not a url', '--secret', 's'])).code).toBe(2)
    expect((await cli(['pact', 'verify', '--provider-base-url', 'http://127.0.0.1:9/', '--secret', 's', '--contracts', '/nonexistent'])).code).toBe(2)
  }, 60_000)
})
