import type { IncomingHttpHeaders } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { allPassed, probeReceiver, PROBE_CHECK_NAMES, type CheckResult } from '../../src/conformance/index.js'
import { verify } from '../../src/signature/index.js'
import { localServer } from '../helpers.js'

const servers: { close: () => Promise<void> }[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

/** A receiver whose answer to each delivery `decide` chooses from the raw body and headers. */
async function receiver(decide: (body: Buffer, headers: IncomingHttpHeaders) => number): Promise<string> {
  const server = await localServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => res.writeHead(decide(Buffer.concat(chunks), req.headers)).end())
  })
  servers.push(server)
  return `${server.url}hooks`
}

const verdicts = (checks: readonly CheckResult[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]))
const signed = (body: Buffer, headers: IncomingHttpHeaders) => verify('s3cret', body, headers['x_yetto_signature'] as string).ok

describe('probeReceiver (the library, no CLI)', () => {
  it('passes a receiver that verifies the raw body, and reports every check it ran with its latency', async () => {
    const checks = await probeReceiver({ url: await receiver((body, headers) => (signed(body, headers) ? 204 : 401)), secret: 's3cret' })
    expect(checks.map((c) => c.name)).toEqual(PROBE_CHECK_NAMES.slice(0, 7))
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([])
    expect(allPassed(checks)).toBe(true)
    for (const check of checks) expect(check.latencyMs).toBeGreaterThanOrEqual(0)
  })

  it('fails exactly the signature checks of a receiver that accepts anything, each with a fix', async () => {
    const checks = await probeReceiver({ url: await receiver(() => 204), secret: 's3cret' })
    expect(verdicts(checks)).toEqual({ valid: 'pass', 'raw-body': 'pass', 'non-ascii-body': 'pass', 'tampered-body': 'fail', 'wrong-secret': 'fail', 'missing-signature': 'fail', 'malformed-signature': 'fail' })
    expect(allPassed(checks)).toBe(false)
    const wrongSecret = checks.find((c) => c.name === 'wrong-secret')!
    expect(wrongSecret.reason).toMatch(/^accepted it \(204\) for conversation\.created, .*: anyone could inject events$/)
    expect(wrongSecret.fix).toMatch(/^verify with your webhook's own signing secret/)
  })

  it('fails raw-body for a receiver that verifies re-serialised JSON, and nothing else', async () => {
    const checks = await probeReceiver({ url: await receiver((body, headers) => (signed(Buffer.from(JSON.stringify(JSON.parse(body.toString()))), headers) ? 204 : 401)), secret: 's3cret' })
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['raw-body'])
    expect(checks.find((c) => c.name === 'raw-body')!.reason).toBe('refused a correctly signed delivery (401)')
  })

  it('skips, not fails, the timestamp checks a scheme without a signed timestamp cannot pass', async () => {
    const checks = await probeReceiver({ url: await receiver((body, headers) => (signed(body, headers) ? 204 : 401)), secret: 's3cret', expectReplayProtection: true })
    expect(verdicts(checks)).toMatchObject({ 'replay (first delivery)': 'pass', replay: 'fail', 'stale-timestamp': 'skip', 'future-timestamp': 'skip' })
    expect(checks.find((c) => c.name === 'stale-timestamp')!.reason).toMatch(/does not sign its timestamp header/)
  })

  it('a secret the scheme cannot use throws before anything is sent', async () => {
    let hits = 0
    const url = await receiver(() => (hits++, 204))
    await expect(probeReceiver({ url, secret: 'not base64!', scheme: 'standard' })).rejects.toMatchObject({ code: 'CKIT_WEBHOOKS_INVALID_OPTION' })
    expect(hits).toBe(0)
  })
})
