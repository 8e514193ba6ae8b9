import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { runConformance, type CheckName } from '../../src/conformance/index.js'
import { compileScenarioConfig, startMock, type RunningMock } from '../../src/mock/index.js'
import { cli, spawnUntil } from '../helpers.js'

/** Each fault the mock can produce is caught by the check named for it. */
const mocks: RunningMock[] = []
const servers: Server[] = []
afterAll(async () => {
  for (const mock of mocks) await mock.close()
  for (const server of servers) await new Promise((resolve) => server.close(resolve))
})
const quick = { requests: 2, concurrency: 2 }

async function checksAgainst(options: Parameters<typeof startMock>[0]) {
  const mock = await startMock({ port: 0, secret: 's3cret', ...options })
  mocks.push(mock)
  return runConformance({ url: mock.url, secret: 's3cret', ...quick })
}

describe.concurrent('ckit conformance against the mock', () => {
  it('the ok scenario passes every check', async () => {
    const checks = await checksAgainst({})
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([])
    expect(checks.map((c) => c.name)).toHaveLength(14)
  })

  it.each([
    ['timeout', 'latency'],
    ['hang', 'latency'],
    ['drip:4:1000', 'latency'],
    ['status:503', 'signed-request'],
    ['status:500', 'signed-request'],
    ['html-error-page', 'content-type'],
    ['malformed-json', 'json'],
    ['empty-body', 'json'],
    ['truncated-json', 'json'],
    ['too-large', 'size'],
    ['reset', 'reachable'],
    ['wrong-challenge', 'challenge'],
    ['schema-invalid:wrong-version', 'schema'],
    ['schema-invalid:missing-customer', 'schema'],
    ['schema-invalid:link-without-href', 'schema'],
    ['schema-invalid:too-many-sections', 'schema'],
    ['schema-invalid:undefined-variable', 'templates'],
    ['schema-invalid:template-syntax', 'templates'],
    ['schema-invalid:unsafe-href', 'links'],
  ] as [string, CheckName][])('%s fails %s', async (scenario, check) => {
    const checks = await checksAgainst({ scenario })
    expect(checks.find((c) => c.name === check), JSON.stringify(checks)).toMatchObject({ status: 'fail', fix: expect.any(String) })
  })

  it('an endpoint that serves data without checking signatures fails rejects-unsigned and rejects-forged', async () => {
    const checks = await checksAgainst({ verify: false })
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['rejects-unsigned', 'rejects-forged'])
  })

  it('an unknown section type is a warning: a lenient help desk shows the rest', async () => {
    const mock = await startMock({ port: 0, secret: 's3cret' })
    mocks.push(mock)
    // Only the known customer's answer carries the new section type.
    const compiled = compileScenarioConfig({ rules: [{ match: 'kelly@example.com', scenario: 'schema-invalid:unknown-section-type' }] }, 1)
    if (compiled.ok) mock.app.ckitMock.scenarios.replace(compiled.book)
    const checks = await runConformance({ url: mock.url, secret: 's3cret', ...quick })
    expect(checks.find((c) => c.name === 'schema')).toMatchObject({ status: 'warn' })
    expect(checks.every((c) => c.status !== 'fail')).toBe(true)
  })

  it('diagnoses a proxy that drops headers with underscores', async () => {
    const mock = await startMock({ port: 0, secret: 's3cret' })
    mocks.push(mock)
    const target = new URL(mock.url)
    // Like nginx without underscores_in_headers: X_YETTO_SIGNATURE is dropped, X-Yetto-Signature passes.
    const proxy = createServer((req, res) => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !name.includes('_')))
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    servers.push(proxy)
    const checks = await runConformance({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, secret: 's3cret', ...quick })
    expect(checks.find((c) => c.name === 'underscore-headers')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/underscores_in_headers on/) })
    expect(checks.find((c) => c.name === 'signed-request')).toMatchObject({ status: 'fail' })
  })

  it('explains an endpoint that is not there', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const checks = await runConformance({ url: `http://127.0.0.1:${port}/`, secret: 's3cret', ...quick })
    expect(checks).toEqual([expect.objectContaining({ name: 'reachable', status: 'fail', reason: expect.stringMatching(/ECONNREFUSED/) })])
  })
})

describe('ckit conformance', () => {
  it('prints one line per check, --json and --junit; exit 1 on a failure', async () => {
    const mock = await startMock({ port: 0, secret: 's3cret', scenario: 'malformed-json' })
    mocks.push(mock)
    const run = await cli(['conformance', mock.url, '--secret', 's3cret', '--requests', '2', '--json'])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; status: string }[] }
    expect(report.ok).toBe(false)
    expect(report.checks.find((c) => c.name === 'json')).toMatchObject({ status: 'fail' })
    const text = await cli(['conformance', mock.url, '--secret', 's3cret', '--requests', '2'])
    expect(text.stdout).toMatch(/✖ json +.*\n {4}fix: /)
    expect((await cli(['conformance', 'not-a-url', '--secret', 's'])).code).toBe(2)
  })
})

describe.each(['node-http-endpoint', 'fastify-endpoint'])('examples/%s', (example) => {
  it('passes every conformance check', async () => {
    const { match: url, child } = await spawnUntil(new URL(`../../examples/${example}/server.mjs`, import.meta.url).pathname, { PORT: '0', YETTO_SECRET: 'example-secret' }, /customer endpoint on (\S+)/)
    try {
      const checks = await runConformance({ url, secret: 'example-secret', ...quick })
      expect(checks.filter((c) => c.status === 'fail')).toEqual([])
    } finally {
      child.kill()
    }
  })
})

describe('the --json report', () => {
  it('matches its documented JSON Schema', async () => {
    const { readFileSync } = await import('node:fs')
    const { Ajv2020 } = await import('ajv/dist/2020.js')
    const schema = JSON.parse(readFileSync(new URL('../../docs/conformance-report.schema.json', import.meta.url), 'utf8')) as object
    const mock = await startMock({ port: 0, secret: 's3cret', scenario: 'delay:1600' })
    mocks.push(mock)
    const report = JSON.parse((await cli(['conformance', mock.url, '--secret', 's3cret', '--requests', '2', '--json'])).stdout) as unknown
    const check = new Ajv2020({ allErrors: true }).compile(schema)
    expect(check(report), JSON.stringify(check.errors)).toBe(true)
  })
})
