import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { SHIPPED_CONTRACTS } from '../../../src/pact/index.js'
import { cli, startCli } from '../../helpers.js'

describe('ckit pact verify, what it prints and refuses', () => {
  it('a message pact (the webhooks) exits 2 naming its provider, instead of failing every interaction', async () => {
    const run = await cli(['pact', 'verify', '--provider-base-url', 'http://127.0.0.1:9/yetto', '--secret', 's', '--contracts', `${SHIPPED_CONTRACTS}webhook-receiver-help-desk-webhooks.json`])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/webhook-receiver-help-desk-webhooks\.json is a pact for provider "help-desk-webhooks"; ckit pact verify checks customer endpoints, the provider "customer-endpoint"/)
    expect(run.stdout).toBe('')
  })

  it('a local contract whose description carries terminal escapes exits 2 naming the interaction, escaped', async () => {
    const pact = JSON.parse(readFileSync(`${SHIPPED_CONTRACTS}help-desk-customer-endpoint.json`, 'utf8')) as { interactions: { description: string }[] }
    pact.interactions[0]!.description = 'known \u001b]0;PWNED\u0007\u001b[2J\u001b[31mRED'
    const file = join(mkdtempSync(join(tmpdir(), 'ckit-evil-')), 'customer-endpoint.json')
    writeFileSync(file, JSON.stringify(pact))
    const run = await cli(['pact', 'verify', '--provider-base-url', 'http://127.0.0.1:9/yetto', '--secret', 's', '--contracts', file])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('interaction 0 description "known \\x1b]0;PWNED\\x07\\x1b[2J\\x1b[31mRED" has a control character')
    // eslint-disable-next-line no-control-regex -- the point: no raw control character reaches the terminal
    expect(run.stderr + run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
  })

  it("neutralises escape sequences from the provider's answer in its ✖ lines", async () => {
    // An endpoint that accepts anything and puts terminal escapes where the verifier quotes them.
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: '\u001b]0;pwned\u0007\u001b[2J2024', challenge: '\u001b[31mred', error: '\u001b[1m' })))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const run = await cli(['pact', 'verify', '--provider-base-url', `http://127.0.0.1:${(server.address() as AddressInfo).port}/yetto`, '--secret', 's'])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/✖ a signed request for a known customer/)
      expect(run.stdout).toMatch(/\\x1b\]0;pwned\\x07\\x1b\[2J2024/)
      // eslint-disable-next-line no-control-regex -- the point: no raw control character reaches the terminal
      expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }, 60_000)
})

describe('ckit pact proxy', () => {
  it('logs each request, refuses an answer the help desk would drop with 502 and the reason, and stops cleanly', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: '2024-03-06', customer: {}, sections: [{ type: 'link', title: 'x', href: 'javascript:alert(1)' }] })))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const run = await startCli(['pact', 'proxy', '--provider-base-url', `http://127.0.0.1:${(server.address() as AddressInfo).port}/yetto`, '--secret', 's', '--port', '0', '--json'])
      const { listening, stateUrl } = JSON.parse(run.firstLine) as { listening: string; stateUrl: string }
      expect(stateUrl).toBe(`${listening}/_ckit/state`)
      const answer = await fetch(`${listening}/yetto/abc`)
      expect(answer.status).toBe(502)
      expect(answer.headers.get('x-ckit-finding')).toMatch(/^\$\.sections\[0\]\.href \\"javascript:alert\(1\)\\" is not a link the help desk opens/)
      expect(await run.stop()).toBe(0)
      const exchange = JSON.parse(run.out.stdout.split('\n')[1]!) as { kind: string; status: number; findings: string[] }
      expect(exchange).toMatchObject({ kind: 'request', status: 200, findings: [expect.stringMatching(/javascript:alert/)] })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('bad options exit 2 with a clear message', async () => {
    const noUrl = await cli(['pact', 'proxy', '--provider-base-url', 'not a url', '--secret', 's'])
    expect(noUrl.code).toBe(2)
    const noSecret = await cli(['pact', 'proxy', '--provider-base-url', 'http://127.0.0.1:9/yetto'])
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toMatch(/secret/i)
  })
})
