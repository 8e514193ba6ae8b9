import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeContext, pathParameterOf, stalenessOf } from '../../../src/signature/index.js'
import { spawnUntil } from '../../helpers.js'

/**
 * The contract without our wrapper: the standalone Pact verifier (pact_verifier_cli, shipped by
 * @pact-foundation/pact-cli as `pact-verifier`) run exactly as contracts/README.md documents it,
 * against an example endpoint behind `ckit pact proxy`. Needs `npm run build` (dist/).
 */
const root = new URL('../../../', import.meta.url).pathname
const readme = readFileSync(join(root, 'contracts/README.md'), 'utf8')
const documented = /^npx pact-verifier (?:.*\\\n)*.*$/m.exec(readme)![0].replace(/\\\n\s*/g, '')
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill()
})

/** The documented command with the example's port for 3000, the proxy's for 4011, and the repo's contract. */
function verifierArgs(endpointPort: string, proxyPort: string): string[] {
  const args = documented.split(/\s+/).slice(2)
  return args.map((arg) => arg.replace('node_modules/connection-kit/contracts/', 'contracts/').replace('127.0.0.1:3000', `127.0.0.1:${endpointPort}`).replace(/^4011$/, proxyPort))
}

function run(args: string[]): Promise<{ code: number | null; output: string; report: { result?: boolean; interactionResults?: { description: string; result: string }[] } }> {
  const reportFile = join(mkdtempSync(join(tmpdir(), 'ckit-pv-')), 'report.json')
  const child = spawn(join(root, 'node_modules/.bin/pact-verifier'), args, { cwd: root, env: { ...process.env, PACT_DO_NOT_TRACK: 'true', PACT_VERIFIER_JSON_REPORT: reportFile }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr.on('data', (c: Buffer) => (output += c.toString()))
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      if (!existsSync(reportFile)) throw new Error(`pact-verifier wrote no report (exit ${code}):\n${output}`)
      resolve({ code, output, report: JSON.parse(readFileSync(reportFile, 'utf8')) as never })
    }),
  )
}

async function example(): Promise<string> {
  const { match, child } = await spawnUntil(join(root, 'examples/node-http-endpoint/server.mjs'), { PORT: '0', YETTO_SECRET: 'example-secret', ENABLE_PACT_STATES: '1' }, /customer endpoint on (\S+)/)
  children.push(child)
  return new URL(match).port
}

/** `ckit pact proxy` from dist/, on a free port, in front of the endpoint on `endpointPort`. */
async function proxyFor(endpointPort: string, secret: string): Promise<string> {
  const proxy = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'pact', 'proxy', '--provider-base-url', `http://127.0.0.1:${endpointPort}/yetto`, '--secret', secret, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(proxy)
  const port = await new Promise<string>((resolve, reject) => {
    let out = ''
    proxy.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const found = /"listening":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(out)
      if (found) resolve(found[1]!)
    })
    proxy.once('exit', (code) => reject(new Error(`ckit pact proxy exited with ${code}`)))
  })
  return port
}

describe('the standalone Pact verifier, as documented in contracts/README.md', () => {
  it('the documented command is a pact-verifier run against the proxy port with state changes and teardown', () => {
    expect(documented).toMatch(/--port 4011/)
    expect(documented).toMatch(/--state-change-url http:\/\/127\.0\.0\.1:3000\/_pact\/state --state-change-teardown/)
  })

  it('passes 5 of 5 through ckit pact proxy against the example endpoint', async () => {
    const endpointPort = await example()
    const port = await proxyFor(endpointPort, 'example-secret')
    const result = await run(verifierArgs(endpointPort, port))
    expect(result.report.interactionResults?.map((i) => i.result)).toEqual(Array(5).fill('OK'))
    expect(result.code).toBe(0)
  }, 60_000)

  it('through the proxy, an endpoint that checks freshness but no signature fails the two 401 interactions', async () => {
    const server = createServer((req, res) => {
      const decoded = decodeContext(pathParameterOf(req.url ?? '/'))
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      if (!decoded.ok) return json(400, { error: decoded.reason })
      if (stalenessOf(decoded.context.requested_at, Date.now(), 300)) return json(401, { error: 'stale' })
      if (decoded.context.reason === 'challenge') return json(200, { challenge: decoded.context.challenge })
      if (decoded.context.requester?.email.endsWith('.invalid')) return json(404, { error: 'customer_not_found' })
      json(200, { version: '2024-03-06', customer: { id: 'c', name: 'Kelly' }, sections: [{ type: 'link', title: 'CRM', href: 'https://crm.example.com/' }, { type: 'list', title: 'Plan', items: [{ description: 'Plan', value: 'Pro' }] }] })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const endpointPort = String((server.address() as AddressInfo).port)
      const result = await run(verifierArgs(endpointPort, await proxyFor(endpointPort, 'any-secret')).filter((a, i, all) => !a.startsWith('--state-change') && !all[i - 1]?.startsWith('--state-change-url')))
      expect(result.code).not.toBe(0)
      expect(result.report.interactionResults?.filter((i) => i.result !== 'OK').map((i) => i.description)).toEqual(['a wrongly signed request', 'an unsigned request'])
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }, 60_000)

  it('without the proxy the same verifier fails 3 of 5 against the same correct endpoint', async () => {
    const endpointPort = await example()
    const result = await run(verifierArgs(endpointPort, endpointPort))
    expect(result.code).not.toBe(0)
    expect(result.report.interactionResults?.filter((i) => i.result !== 'OK').map((i) => i.description)).toEqual(['a signed request for a known customer', 'a signed request for an unknown customer', 'a signed set-up challenge'])
  }, 60_000)
})
