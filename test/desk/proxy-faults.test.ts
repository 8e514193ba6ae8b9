import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestCustomerData, testConnection } from '../../src/client/index.js'
import { startProxy, type ProxyVerdict, type RunningProxy } from '../../src/desk/index.js'
import { SCENARIO_CATALOGUE, SCHEMA_INVALID_VARIANTS, startMock } from '../../src/mock/index.js'
import type { RequestContext } from '../../src/schema/index.js'
import { cli, spawnUntil, startCli } from '../helpers.js'

/**
 * The mock's fault catalogue in front of a real endpoint (examples/node-http-endpoint, built from
 * dist/: run `npm run build` first), as the reference client sees each fault through the proxy.
 */
const SECRET = 'example-secret'
const context = (email: string, reason: RequestContext['reason'] = 'conversation_viewed'): RequestContext => ({ reason, requested_at: new Date().toISOString(), inbox: { slug: 's' }, conversation: { id: 'c' }, requester: { email } })

let endpoint: { url: string; child: ChildProcess }
const proxies: RunningProxy[] = []
beforeAll(async () => {
  const { match, child } = await spawnUntil(new URL('../../examples/node-http-endpoint/server.mjs', import.meta.url).pathname, { PORT: '0', YETTO_SECRET: SECRET }, /customer endpoint on (\S+)/)
  endpoint = { url: match, child }
})
afterAll(async () => {
  for (const proxy of proxies) await proxy.close()
  endpoint.child.kill()
})

async function proxyTo(upstream: string, options: { scenario?: string; scenarios?: unknown; seed?: number } = {}) {
  const verdicts: ProxyVerdict[] = []
  const proxy = await startProxy({ upstream, port: 0, secret: SECRET, ...options, onExchange: (v) => void verdicts.push(v) })
  proxies.push(proxy)
  return { proxy, verdicts }
}

/** What the reference client reports for each fault (strict, so every schema-invalid variant fails). */
const EXPECTED: Record<string, string> = {
  ok: 'ok',
  'delay:<ms>': 'ok',
  timeout: 'timeout',
  'status:<code>': 'http_status',
  'html-error-page': 'invalid_json',
  'malformed-json': 'invalid_json',
  'empty-body': 'invalid_json',
  'truncated-json': 'invalid_json',
  'too-large': 'too_large',
  reset: 'network',
  hang: 'timeout',
  'drip:<chunks>:<ms>': 'ok',
  ...Object.fromEntries(Object.keys(SCHEMA_INVALID_VARIANTS).map((variant) => [`schema-invalid:${variant}`, ['undefined-variable', 'template-syntax'].includes(variant) ? 'template_error' : 'schema_invalid'])),
}

describe('ckit proxy in front of examples/node-http-endpoint', () => {
  it('applies each catalogue fault, and the reference client reports the documented failure kind', async () => {
    const { proxy, verdicts } = await proxyTo(endpoint.url)
    const connection = { url: proxy.url, secret: SECRET }
    const faults = SCENARIO_CATALOGUE.filter((entry) => entry.name !== 'wrong-challenge')
    expect(Object.keys(EXPECTED).sort()).toEqual(faults.map((f) => f.name).sort())
    const seen = await Promise.all(
      faults.map(async ({ name }) => {
        const concrete = name.replace('<ms>', '100').replace('<code>', '503').replace('<chunks>', '4')
        const result = await requestCustomerData(connection, context('kelly@example.com'), { strict: true, headers: { 'X-Mock-Scenario': concrete } })
        return [name, result.ok ? 'ok' : result.error.kind] as const
      }),
    )
    expect(Object.fromEntries(seen)).toEqual(EXPECTED)
    const challenge = await testConnection(connection, { headers: { 'X-Mock-Scenario': 'wrong-challenge' } })
    expect(challenge).toMatchObject({ ok: false, error: { kind: 'bad_challenge' } })
    expect((await testConnection(connection)).ok).toBe(true)
    // Before forwarding, the upstream is not asked; content faults are made of its real answer.
    expect(verdicts.find((v) => v.scenario === 'status:503')).toMatchObject({ answered: 'fault', status: null, scenarioSource: 'header' })
    expect(verdicts.find((v) => v.scenario === 'truncated-json')).toMatchObject({ answered: 'fault', status: 200, ok: true })
  })

  it('refuses an unknown X-Mock-Scenario with 400 problem+json, without forwarding', async () => {
    const { proxy, verdicts } = await proxyTo(endpoint.url)
    const result = await requestCustomerData({ url: proxy.url, secret: SECRET }, context('kelly@example.com'), { headers: { 'X-Mock-Scenario': 'teapot' } })
    expect(result).toMatchObject({ ok: false, error: { kind: 'http_status', status: 400 } })
    expect(verdicts).toEqual([])
  })

  it('takes --scenario as the default and --config rules by e-mail and reason, with the same seeded chaos as the mock', async () => {
    const scenarios = { rules: [{ reason: 'automation', scenario: 'status:500' }, { match: '*@chaos.test', p: 0.5, scenario: 'reset' }] }
    const kinds = async (seed: number) => {
      const { proxy } = await proxyTo(endpoint.url, { scenario: 'schema-invalid:wrong-version', scenarios, seed })
      const connection = { url: proxy.url, secret: SECRET }
      const failures: string[] = []
      for (let i = 0; i < 12; i++) {
        const result = await requestCustomerData(connection, context(`u${i % 3}@chaos.test`))
        failures.push(result.ok ? 'ok' : result.error.kind)
      }
      expect(await requestCustomerData(connection, context('kelly@example.com'))).toMatchObject({ ok: false, error: { kind: 'schema_invalid' } })
      expect(await requestCustomerData(connection, context('kelly@example.com', 'automation'))).toMatchObject({ ok: false, error: { kind: 'http_status', status: 500 } })
      return failures
    }
    const first = await kinds(4)
    // u*@chaos.test is no customer of the example: 404 customer_not_found, or a reset.
    expect(new Set(first)).toEqual(new Set(['not_found', 'network']))
    expect(await kinds(4)).toEqual(first)
    expect(await kinds(5)).not.toEqual(first)
  })

  it('keeps X-Mock-Scenario to itself: the upstream never sees it', async () => {
    const mock = await startMock({ port: 0, secret: SECRET })
    try {
      const { proxy } = await proxyTo(mock.url)
      const result = await requestCustomerData({ url: proxy.url, secret: SECRET }, context('kelly@example.com'), { headers: { 'X-Mock-Scenario': 'truncated-json' } })
      expect(result).toMatchObject({ ok: false, error: { kind: 'invalid_json' } })
      const { entries } = (await (await fetch(`${mock.origin}/__admin/journal`)).json()) as { entries: { scenario: string; scenarioSource: string }[] }
      expect(entries).toEqual([expect.objectContaining({ scenario: 'ok', scenarioSource: 'default' })])
    } finally {
      await mock.close()
    }
  })

  it('reports an upstream that resets or refuses the connection as network, to the client and in its verdict', async () => {
    const mock = await startMock({ port: 0, secret: SECRET, scenario: 'reset' })
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    try {
      for (const upstream of [mock.url, `http://127.0.0.1:${port}/yetto`]) {
        const { proxy, verdicts } = await proxyTo(upstream)
        expect(await requestCustomerData({ url: proxy.url, secret: SECRET }, context('kelly@example.com'))).toMatchObject({ ok: false, error: { kind: 'network' } })
        expect(verdicts[0]).toMatchObject({ answered: 'reset', status: null, ok: false, problems: [{ message: expect.stringMatching(/reset|refused/) }] })
      }
    } finally {
      await mock.close()
    }
  })
})

describe('ckit proxy --scenario / --config / --seed', () => {
  it('serves the rules of a scenarios.yaml-style file, and refuses a bad one with its pointers before listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-proxy-faults-'))
    try {
      const good = join(dir, 'faults.yaml')
      writeFileSync(good, 'rules:\n  - match: "kelly@example.com"\n    sequence: ["status:503", "ok"]\n')
      const running = await startCli(['proxy', '--upstream', endpoint.url, '--port', '0', '--config', good, '--seed', '3', '--json'])
      try {
        const { listening } = JSON.parse(running.firstLine) as { listening: string }
        const connection = { url: listening, secret: SECRET }
        expect(await requestCustomerData(connection, context('kelly@example.com'))).toMatchObject({ ok: false, error: { kind: 'http_status', status: 503 } })
        expect((await requestCustomerData(connection, context('kelly@example.com'))).ok).toBe(true)
        expect(running.out.stdout).toMatch(/"scenario":"status:503","scenarioSource":"rule:kelly@example.com"/)
      } finally {
        expect(await running.stop()).toBe(0)
      }
      const bad = join(dir, 'bad.yaml')
      writeFileSync(bad, 'rules:\n  - reason: cron\n    scenario: delay:uniform:9:1\n')
      const refused = await cli(['proxy', '--upstream', endpoint.url, '--port', '0', '--config', bad])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain(`${bad}/rules/0/reason`)
      expect(refused.stderr).toContain(`${bad}/rules/0/scenario`)
      expect((await cli(['proxy', '--upstream', endpoint.url, '--port', '0', '--scenario', 'teapot'])).stderr).toMatch(/--scenario "teapot": unknown scenario/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
