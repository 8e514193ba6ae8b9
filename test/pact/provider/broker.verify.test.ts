import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../../src/mock/index.js'
import { CONTRACT } from '../../../src/pact/index.js'
import { cli } from '../../helpers.js'

/**
 * A local stand-in for a Pact Broker: the HAL index, "pacts for verification", the pact with its
 * publish link, and a recorder for published results — what `ckit pact verify --broker-url` uses.
 */
const pactFile = new URL(`../../../contracts/${CONTRACT.consumer}-${CONTRACT.provider}.json`, import.meta.url)
let broker: Server
let base = ''
const requests: { method: string; url: string; auth: string | undefined; body: string }[] = []
let mock: RunningMock

beforeAll(async () => {
  broker = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body })
      const hal = (value: unknown) => res.writeHead(200, { 'content-type': 'application/hal+json' }).end(JSON.stringify(value))
      const pactUrl = `${base}/pacts/provider/${CONTRACT.provider}/consumer/${CONTRACT.consumer}/version/1.0.0`
      if (req.url === '/') return hal({ _links: { 'pb:provider-pacts-for-verification': { href: `${base}/pacts/provider/{provider}/for-verification`, templated: true } } })
      if (req.method === 'GET' && req.url === `/pacts/provider/${CONTRACT.provider}/for-verification`) return hal({ _links: { self: { href: `${base}${req.url}`, title: 'Pacts to be verified' } } })
      if (req.url === `/pacts/provider/${CONTRACT.provider}/for-verification`) {
        return hal({ _embedded: { pacts: [{ shortDescription: 'latest', verificationProperties: { pending: false, notices: [] }, _links: { self: { href: pactUrl, name: `Pact between ${CONTRACT.consumer} and ${CONTRACT.provider}` } } }] } })
      }
      if (req.url === new URL(pactUrl).pathname) {
        const pact = JSON.parse(readFileSync(pactFile, 'utf8')) as Record<string, unknown>
        return hal({ ...pact, _links: { self: { href: pactUrl }, 'pb:publish-verification-results': { href: `${pactUrl}/verification-results` } } })
      }
      if (req.method === 'POST' && req.url?.endsWith('/verification-results')) return hal({ recorded: true })
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(broker.address() as AddressInfo).port}`
  mock = await startMock({ port: 0, secret: 'builder-secret', basePath: '/yetto' })
})
afterAll(async () => {
  await mock.close()
  await new Promise((resolve) => broker.close(resolve))
})

describe('ckit pact verify with a Pact Broker', () => {
  it('fetches the pacts for verification, verifies, and publishes the results with the token', async () => {
    const run = await cli(['pact', 'verify', '--provider-base-url', mock.url, '--secret', 'builder-secret', '--provider-version', 'abc123', '--publish'], { env: { PACT_BROKER_BASE_URL: base, PACT_BROKER_TOKEN: 'broker-token' } })
    expect(run.stdout).toMatch(/all 5 interactions passed/)
    expect(run.code).toBe(0)
    expect(requests.some((r) => r.url.endsWith('/for-verification') && r.method === 'POST')).toBe(true)
    const published = requests.find((r) => r.method === 'POST' && r.url.endsWith('/verification-results'))
    expect(published).toBeDefined()
    expect(JSON.parse(published!.body)).toMatchObject({ success: true, providerApplicationVersion: 'abc123' })
    expect(requests.every((r) => r.auth === 'Bearer broker-token')).toBe(true)
  }, 60_000)
})
