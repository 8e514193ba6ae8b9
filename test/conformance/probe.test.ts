import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { allPassed, probeReceiver, PROBE_CHECK_NAMES, type CheckResult } from '../../src/conformance/index.js'
import { verify } from '../../src/signature/index.js'
import { SCHEMES, webhookMiddleware, webhookPlugin, type SchemeName } from '../../src/webhooks/index.js'
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
    expect(wrongSecret.reason).toBe('accepted it (204) for every delivery: anyone could inject events')
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

  // The red team's receivers (redteam/receiver.mjs), each with one flaw an attacker can use, for
  // every scheme: the probe must fail exactly the checks the flaw breaks, and name what got in.
  const SECRETS: Record<SchemeName, string> = { yetto: 's3cret', github: 's3cret', standard: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }
  const header = (headers: IncomingHttpHeaders, name: string) => headers[name.toLowerCase()] as string | undefined
  const verifies = (scheme: SchemeName) => (body: Buffer, headers: IncomingHttpHeaders) => SCHEMES[scheme].verify(SECRETS[scheme], body, headers as never, { toleranceSeconds: Infinity, nowMs: Date.now() }).ok
  const probeWith = async (scheme: SchemeName, decide: (body: Buffer, headers: IncomingHttpHeaders) => boolean) =>
    probeReceiver({ url: await receiver((body, headers) => (decide(body, headers) ? 202 : 401)), secret: SECRETS[scheme], scheme })
  const failing = (checks: readonly CheckResult[]) => checks.filter((c) => c.status === 'fail').map((c) => c.name)
  const SIGNATURE_CHECKS = ['tampered-body', 'wrong-secret', 'missing-signature', 'malformed-signature']
  const SCHEME_LIST = ['yetto', 'standard', 'github'] as const

  it.each(SCHEME_LIST)('%s: passes a receiver that verifies every delivery', async (scheme) => {
    expect(failing(await probeWith(scheme, verifies(scheme)))).toEqual([])
  })

  it.each(SCHEME_LIST)('%s: fails a receiver that lets *.destroyed in unverified, naming those events', async (scheme) => {
    const ok = verifies(scheme)
    const checks = await probeWith(scheme, (body, headers) => String(header(headers, SCHEMES[scheme].eventHeader)).endsWith('.destroyed') || ok(body, headers))
    expect(failing(checks)).toEqual(SIGNATURE_CHECKS)
    expect(checks.find((c) => c.name === 'wrong-secret')!.reason).toBe(
      'accepted it (202) for conversation.destroyed, inbox.destroyed, message.destroyed, organization.destroyed, plug_installation.destroyed: anyone could inject events',
    )
  })

  it('fails a receiver that verifies only *.created, naming the groups it leaves open', async () => {
    const ok = verifies('yetto')
    const checks = await probeWith('yetto', (body, headers) => !String(headers['x_yetto_event']).endsWith('.created') || ok(body, headers))
    expect(failing(checks)).toEqual(SIGNATURE_CHECKS)
    // A whole group open is named as one; the event-less deliveries are open too (undefined does not end in .created).
    expect(checks.find((c) => c.name === 'missing-signature')!.reason).toMatch(/^accepted it \(202\) for conversation\.updated, conversation\.closed, .*, plug_installation\.destroyed, a delivery without X_YETTO_EVENT, a delivery without X_YETTO_EVENT and X_YETTO_DELIVERY: anyone could inject events$/)
  })

  it.each(SCHEME_LIST)('%s: fails a receiver that takes a delivery without the event header for a ping', async (scheme) => {
    const ok = verifies(scheme)
    const { eventHeader, idHeader } = SCHEMES[scheme]
    const checks = await probeWith(scheme, (body, headers) => header(headers, eventHeader) === undefined || ok(body, headers))
    expect(failing(checks)).toEqual(SIGNATURE_CHECKS)
    expect(checks.find((c) => c.name === 'tampered-body')!.reason).toBe(`accepted it (202) for a delivery without ${eventHeader}, a delivery without ${eventHeader} and ${idHeader}: anyone could inject events`)
  })

  it.each(SCHEME_LIST)('%s: fails a receiver that takes a delivery without the delivery id header for a ping', async (scheme) => {
    const ok = verifies(scheme)
    const checks = await probeWith(scheme, (body, headers) => header(headers, SCHEMES[scheme].idHeader) === undefined || ok(body, headers))
    expect(failing(checks)).toEqual(SIGNATURE_CHECKS)
  })

  // The expected signature in the scheme's own text form; the receiver accepts any prefix of it.
  const expectedText = (scheme: SchemeName, body: Buffer, headers: IncomingHttpHeaders) =>
    scheme === 'standard'
      ? `v1,${createHmac('sha256', Buffer.from(SECRETS.standard.slice('whsec_'.length), 'base64')).update(`${header(headers, 'webhook-id')}.${header(headers, 'webhook-timestamp')}.${body.toString()}`).digest('base64')}`
      : `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`
  const prefixOf = (label: string) => (given: string | undefined, expected: string) => given !== undefined && given.startsWith(label) && expected.startsWith(given)

  it.each(SCHEME_LIST)('%s: fails malformed-signature for a receiver that accepts a prefix of the digest (the empty one too)', async (scheme) => {
    const prefix = prefixOf(scheme === 'standard' ? 'v1,' : 'sha256=')
    const checks = await probeWith(scheme, (body, headers) => prefix(header(headers, SCHEMES[scheme].signatureHeader), expectedText(scheme, body, headers)))
    expect(failing(checks)).toEqual(['malformed-signature'])
    expect(checks.find((c) => c.name === 'malformed-signature')!.reason).toBe('accepted it (202) for every delivery with an empty digest, a digest cut to 8 characters, a digest one character short: anyone could inject events')
  })

  it.each(SCHEME_LIST)('%s: fails wrong-secret for a receiver that also accepts the empty key (an unset secret in its rotation list)', async (scheme) => {
    const ok = verifies(scheme)
    const emptyKey = (body: Buffer, headers: IncomingHttpHeaders) => {
      const given = header(headers, SCHEMES[scheme].signatureHeader) ?? ''
      const expected =
        scheme === 'standard'
          ? `v1,${createHmac('sha256', '').update(`${header(headers, 'webhook-id')}.${header(headers, 'webhook-timestamp')}.${body.toString()}`).digest('base64')}`
          : `sha256=${createHmac('sha256', '').update(body).digest('hex')}`
      return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
    }
    const checks = await probeWith(scheme, (body, headers) => ok(body, headers) || emptyKey(body, headers))
    expect(failing(checks)).toEqual(['wrong-secret'])
    // Standard signs webhook-id: the delivery without it carries a signature that cannot match.
    const got = scheme === 'standard' ? 'every event, a delivery without X_YETTO_EVENT' : 'every delivery'
    expect(checks.find((c) => c.name === 'wrong-secret')!.reason).toBe(`accepted it (202) for ${got} signed with the empty key: anyone could inject events`)
  })

  // Our own receivers, which the forged deliveries above must not trip: every check passes, the
  // replay and (for standard) timestamp ones included.
  it.each(SCHEME_LIST)('%s: passes webhookMiddleware and webhookPlugin with a replay guard', async (scheme) => {
    const middleware = webhookMiddleware({ secret: SECRETS[scheme], scheme, replayGuard: true })
    const server = createServer((req, res) => middleware(req, res, () => void res.writeHead(204).end()))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push({ close: () => new Promise((resolve) => void server.close(() => resolve())) })
    const app = Fastify()
    await app.register(webhookPlugin, { secret: SECRETS[scheme], scheme, replayGuard: true, handler: () => undefined })
    await app.listen({ port: 0, host: '127.0.0.1' })
    servers.push({ close: () => app.close() })
    for (const url of [`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhooks`]) {
      const checks = await probeReceiver({ url, secret: SECRETS[scheme], scheme, expectReplayProtection: true })
      expect(failing(checks), url).toEqual([])
      expect(checks.filter((c) => c.status === 'pass').length).toBe(scheme === 'standard' ? 11 : 9)
    }
  })
})
