import { createHmac } from 'node:crypto'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { eventCatalogue, validate } from '../../src/schema/index.js'
import { verify } from '../../src/signature/index.js'
import { deliver, SCHEMES } from '../../src/webhooks/index.js'
import { cli, spawnUntil, startCli } from '../helpers.js'

/** What `--json` prints (docs/conformance-report.schema.json). */
type ProbeJson = { ok: boolean; suite: string; url: string; scheme: string; checks: { name: string; status: 'pass' | 'fail' | 'warn' | 'skip'; reason: string; fix?: string; latencyMs?: number }[] }
type Handler = (body: Buffer, headers: IncomingHttpHeaders, hit: number) => { status: number; body?: string }
const servers: Server[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function serve(handler: Handler) {
  const received: { body: Buffer; headers: IncomingHttpHeaders }[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      received.push({ body, headers: req.headers })
      const answer = handler(body, req.headers, received.length)
      res.writeHead(answer.status).end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received }
}

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-webhooks-'))
  dirs.push(dir)
  return dir
}

describe('ckit webhooks send', () => {
  it('--attempts 3 --backoff 100ms against 503, 503, 200: exactly three attempts with one delivery id', async () => {
    const target = await serve((_b, _h, hit) => ({ status: hit < 3 ? 503 : 200 }))
    const log = join(tempDir(), 'log.jsonl')
    const run = await cli(['webhooks', 'send', '--to', target.url, '--secret', 's3cret', '--event', 'message.created', '--fake', '--attempts', '3', '--backoff', '100ms', '--log', log])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/delivered 1\/1, retried 1, failed 0/)
    expect(target.received).toHaveLength(3)
    expect(new Set(target.received.map((r) => r.headers['x_yetto_delivery'])).size).toBe(1)
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { attempt: number; status: number })
    expect(entries.map((e) => [e.attempt, e.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ])
    // An independent HMAC of the raw body matches the header.
    const { body, headers } = target.received[2]!
    expect(headers['x_yetto_signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`)
  })

  it('makes one attempt against a 400 and exits 3', async () => {
    const target = await serve(() => ({ status: 400 }))
    const run = await cli(['webhooks', 'send', '--to', target.url, '--secret', 's3cret', '--event', 'message.created', '--fake', '--attempts', '3', '--backoff', '100ms'])
    expect(run.code).toBe(3)
    expect(target.received).toHaveLength(1)
    expect(run.stderr).toMatch(/failed message.created .* after 1 attempt\(s\): HTTP 400/)
  })

  it('sends a story in order and a payload file byte for byte; an invalid file exits 1 with pointers', async () => {
    const target = await serve(() => ({ status: 204 }))
    expect((await cli(['webhooks', 'send', '--to', target.url, '--secret', 's', '--story', '--json'])).code).toBe(0)
    expect(target.received.map((r) => r.headers['x_yetto_event'])).toEqual(['conversation.created', 'message.created', 'conversation.labeled', 'conversation.assigned', 'message.created', 'conversation.closed'])
    const file = new URL('../fixtures/webhook/valid/message-created.json', import.meta.url).pathname
    expect((await cli(['webhooks', 'send', '--to', target.url, '--secret', 's', '--event', 'message.created', '--payload', file])).code).toBe(0)
    expect(target.received.at(-1)!.body.toString()).toBe(readFileSync(file, 'utf8'))
    const bad = await cli(['webhooks', 'send', '--to', target.url, '--secret', 's', '--event', 'conversation.created', '--payload', file])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/\/yetto\/conversation: is required/)
  })

  it('refuses bad flags in one line (exit 2)', async () => {
    for (const argv of [
      ['webhooks', 'send', '--to', 'ftp://x', '--secret', 's', '--event', 'message.created', '--fake'],
      ['webhooks', 'send', '--to', 'http://127.0.0.1:9/', '--secret', 's', '--event', 'message.sent', '--fake'],
      ['webhooks', 'send', '--to', 'http://127.0.0.1:9/', '--secret', 's', '--event', 'message.created', '--fake', '--backoff', 'soon'],
      ['webhooks', 'fake', '--event', 'message.created', '--seed', 'abc'],
    ]) {
      const run = await cli(argv)
      expect(run.code, argv.join(' ')).toBe(2)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
    }
  })
})

describe('ckit webhooks simulate', () => {
  it("streams conversations at the rate for the duration, each conversation's events in order", async () => {
    const target = await serve(() => ({ status: 204 }))
    const run = await cli(['webhooks', 'simulate', '--to', target.url, '--secret', 's', '--duration', '1s', '--rate', '14/s', '--seed', '3', '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ deliveries: 14, delivered: 14, failed: 0 })
    const conversations = new Map<string, string[]>()
    for (const { body, headers } of target.received) {
      const yetto = (JSON.parse(body.toString()) as { yetto: { conversation?: { id: string }; message?: { conversation: { id: string } } } }).yetto
      const id = yetto.conversation?.id ?? yetto.message!.conversation.id
      conversations.set(id, [...(conversations.get(id) ?? []), headers['x_yetto_event'] as string])
    }
    for (const events of conversations.values()) expect(events[0]).toBe('conversation.created')
    expect(conversations.size).toBe(3)
  })
})

describe('ckit webhooks send and simulate, run again against a replay guard', () => {
  it('send fresh bodies on every run unless --seed is given, and a refused delivery shows the receiver\'s answer', async () => {
    const receiver = await listen(['--secret', 's3cret', '--replay-guard'])
    try {
      for (const command of [['send', '--story'], ['simulate', '--duration', '1s', '--rate', '20/s']]) {
        for (let run = 0; run < 2; run++) {
          const sent = await cli(['webhooks', ...command, '--to', receiver.url, '--secret', 's3cret', '--backoff', '10ms'])
          expect(sent.code, `${command[0]} run ${run + 1}: ${sent.stderr}`).toBe(0)
          expect(sent.stdout).toMatch(/; seed \d+ \(--seed \d+ sends these bodies again\)\n$/)
        }
      }
      const first = await cli(['webhooks', 'send', '--story', '--seed', '7', '--to', receiver.url, '--secret', 's3cret', '--json'])
      expect(first.code).toBe(0)
      expect(JSON.parse(first.stdout)).toMatchObject({ seed: 7, failed: 0 })
      const again = await cli(['webhooks', 'send', '--story', '--seed', '7', '--to', receiver.url, '--secret', 's3cret'])
      expect(again.code).toBe(3)
      expect(again.stderr).toMatch(/failed conversation\.created \S+ after 1 attempt\(s\): HTTP 409; the receiver answered: \{.*"error":\s*"replayed"/)
    } finally {
      await receiver.stop()
    }
  })
})

describe('ckit webhooks fake', () => {
  it('prints a valid payload for the event, the same for the same seed', async () => {
    const one = await cli(['webhooks', 'fake', '--event', 'conversation.closed', '--seed', '4'])
    expect(validate('webhook', JSON.parse(one.stdout), { event: 'conversation.closed' }).errors).toEqual([])
    expect((await cli(['webhooks', 'fake', '--event', 'conversation.closed', '--seed', '4'])).stdout).toBe(one.stdout)
  })

  it('prints what the webhook pact requires, seed after seed: text_content on messages, labels on conversations', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const message = JSON.parse((await cli(['webhooks', 'fake', '--event', 'message.created', '--seed', String(seed)])).stdout) as { yetto: { message: { text_content?: unknown } } }
      expect(typeof message.yetto.message.text_content, `seed ${seed}`).toBe('string')
      const conversation = JSON.parse((await cli(['webhooks', 'fake', '--event', 'conversation.updated', '--seed', String(seed)])).stdout) as { yetto: { conversation: { labels?: unknown } } }
      expect(Array.isArray(conversation.yetto.conversation.labels), `seed ${seed}`).toBe(true)
    }
  })
})

/** Runs `ckit webhooks listen` in-process until the test stops it. */
async function listen(args: string[]) {
  const { out, firstLine, stop } = await startCli(['webhooks', 'listen', '--port', '0', '--json', ...args])
  const url = (JSON.parse(firstLine) as { listening: string }).listening
  const lines = () => out.stdout.trim().split('\n').slice(1).map((line) => JSON.parse(line) as Record<string, unknown>)
  return { url, lines, stop }
}

describe('ckit webhooks listen', () => {
  it('shows each delivery with its verdicts and forwards verified ones byte for byte', async () => {
    const downstream = await serve(() => ({ status: 202 }))
    const listener = await listen(['--secret', 's3cret', '--forward', downstream.url])
    const payload = JSON.stringify(JSON.parse(readFileSync(new URL('../fixtures/webhook/valid/message-created.json', import.meta.url), 'utf8')), null, 1)
    const delivered = await deliver(listener.url, { event: 'message.created', payload, id: 'd-42' }, { secret: 's3cret', attempts: 1 })
    expect(delivered).toMatchObject({ delivered: true, status: 202 })
    expect(downstream.received[0]!.body.toString()).toBe(payload)
    expect(downstream.received[0]!.headers['x_yetto_delivery']).toBe('d-42')
    expect(verify('s3cret', downstream.received[0]!.body, downstream.received[0]!.headers['x_yetto_signature'] as string)).toEqual({ ok: true })
    const forged = await deliver(listener.url, { event: 'message.created', payload }, { secret: 'wrong', attempts: 1 })
    expect(forged).toMatchObject({ delivered: false, status: 401 })
    const invalid = await deliver(listener.url, { event: 'conversation.created', payload }, { secret: 's3cret', attempts: 1 })
    expect(invalid).toMatchObject({ delivered: false, status: 400 })
    expect(await listener.stop()).toBe(0)
    expect(listener.lines()).toEqual([
      expect.objectContaining({ event: 'message.created', deliveryId: 'd-42', signature: 'ok', schema: 'valid', status: 202, forwarded: 202 }),
      expect.objectContaining({ signature: 'mismatch', schema: 'unchecked', status: 401 }),
      expect.objectContaining({ signature: 'ok', schema: expect.stringMatching(/^invalid \/yetto\/conversation/), status: 400 }),
    ])
    expect(downstream.received).toHaveLength(1)
  })
  it('does not forward hop-by-hop headers (RFC 9110 §7.6.1), nor those the Connection header names', async () => {
    const downstream = await serve(() => ({ status: 204 }))
    const listener = await listen(['--secret', 's3cret', '--forward', downstream.url])
    const payload = readFileSync(new URL('../fixtures/webhook/valid/message-created.json', import.meta.url), 'utf8')
    const hopByHop = { te: 'trailers', trailer: 'x-checksum', upgrade: 'h2c', connection: 'x-next-hop-only', 'x-next-hop-only': 'secret', 'x-kept': 'yes' }
    expect(await deliver(listener.url, { event: 'message.created', payload }, { secret: 's3cret', attempts: 1, headers: hopByHop })).toMatchObject({ delivered: true })
    expect(await listener.stop()).toBe(0)
    const forwarded = downstream.received[0]!.headers
    expect(forwarded['x-kept']).toBe('yes')
    for (const name of ['te', 'trailer', 'upgrade', 'x-next-hop-only']) expect(forwarded[name], name).toBeUndefined()
  })
})

describe('ckit webhooks probe', () => {
  const signedBy = (secret: string) => (body: Buffer, headers: IncomingHttpHeaders) => verify(secret, body, headers['x_yetto_signature'] as string).ok
  const run = (url: string, extra: string[] = []) => cli(['webhooks', 'probe', '--to', url, '--secret', 's3cret', '--json', ...extra])
  const failed = (stdout: string) => (JSON.parse(stdout) as ProbeJson).checks.filter((c) => c.status === 'fail').map((c) => c.name)

  it('passes a correct receiver: the example in examples/webhook-receiver', async () => {
    const { match: url, child } = await spawnUntil(new URL('../../examples/webhook-receiver/server.mjs', import.meta.url).pathname, { PORT: '0', YETTO_WEBHOOK_SECRET: 's3cret' }, /receiving webhooks on (\S+)/)
    try {
      const result = await run(url, ['--expect-replay-protection'])
      expect(failed(result.stdout)).toEqual([])
      expect(result.code).toBe(0)
    } finally {
      child.kill()
    }
  })

  it('names the fault in a receiver that accepts any signature', async () => {
    const target = await serve(() => ({ status: 204 }))
    const result = await run(target.url)
    expect(result.code).toBe(1)
    expect(failed(result.stdout)).toEqual(['tampered-body', 'wrong-secret', 'missing-signature', 'malformed-signature'])
  })

  it('names the fault in a receiver that verifies re-serialised JSON', async () => {
    const check = signedBy('s3cret')
    const target = await serve((body, headers) => ({ status: check(Buffer.from(JSON.stringify(JSON.parse(body.toString()))), headers) ? 204 : 401 }))
    expect(failed((await run(target.url)).stdout)).toEqual(['raw-body'])
  })

  it('names the fault in a receiver without a replay guard, and writes JUnit XML', async () => {
    const check = signedBy('s3cret')
    const target = await serve((body, headers) => ({ status: check(body, headers) ? 204 : 401 }))
    const junit = join(tempDir(), 'probe.xml')
    const result = await run(target.url, ['--expect-replay-protection', '--junit', junit])
    expect(failed(result.stdout)).toEqual(['replay'])
    const xml = readFileSync(junit, 'utf8')
    // yetto signs no timestamp: the two timestamp checks are skipped, not failed.
    expect(xml).toMatch(/<testsuite name="ckit webhooks probe [^"]+" tests="11" failures="1" skipped="2">/)
    expect(xml).toMatch(/<testcase classname="ckit webhooks probe" name="replay" [^>]*>\s*<failure message="accepted it \(204\)/)
  })

  // Secrets each scheme can use: standard's is base64 (here the spec's example secret).
  const SECRETS = { yetto: 's3cret', github: 's3cret', standard: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } as const
  const probe = (url: string, scheme: keyof typeof SECRETS) => cli(['webhooks', 'probe', '--to', url, '--secret', SECRETS[scheme], '--scheme', scheme, '--expect-replay-protection', '--json'])

  it.each(['yetto', 'standard', 'github'] as const)('%s: passes our own `listen --replay-guard`, with only the checks the scheme can pass', async (scheme) => {
    const listener = await startCli(['webhooks', 'listen', '--port', '0', '--json', '--replay-guard', '--scheme', scheme, '--secret', SECRETS[scheme]])
    try {
      const { listening } = JSON.parse(listener.firstLine) as { listening: string }
      const result = await probe(listening, scheme)
      const report = JSON.parse(result.stdout) as ProbeJson
      expect(report.checks.filter((c) => c.status === 'fail')).toEqual([])
      expect(result.code).toBe(0)
      // Only standard signs its timestamp; elsewhere refusing an old one is not replay protection.
      expect(report.checks.filter((c) => c.status === 'skip').map((c) => c.name)).toEqual(scheme === 'standard' ? [] : ['stale-timestamp', 'future-timestamp'])
      expect(report.checks.filter((c) => c.name.endsWith('-timestamp')).map((c) => c.status)).toEqual(scheme === 'standard' ? ['pass', 'pass'] : ['skip', 'skip'])
      expect(report.checks.map((c) => c.name)).toContain('replay')
    } finally {
      expect(await listener.stop()).toBe(0)
    }
  })

  it.each(['yetto', 'standard', 'github'] as const)('%s: still fails a receiver with no signature check, and one with no replay guard', async (scheme) => {
    const anything = await serve(() => ({ status: 204 }))
    const open = JSON.parse((await probe(anything.url, scheme)).stdout) as ProbeJson
    expect(open.ok).toBe(false)
    const replayChecks = scheme === 'standard' ? ['replay', 'stale-timestamp', 'future-timestamp'] : ['replay']
    expect(open.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['tampered-body', 'wrong-secret', 'missing-signature', 'malformed-signature', ...replayChecks])
    // Verifies the signature (no timestamp window, no memory of deliveries): only the replay checks fail.
    const signatureOnly = await serve((body, headers) => ({ status: SCHEMES[scheme].verify(SECRETS[scheme], body, headers as never, { toleranceSeconds: Infinity, nowMs: Date.now() }).ok ? 204 : 401 }))
    const result = await probe(signatureOnly.url, scheme)
    expect(failed(result.stdout)).toEqual(replayChecks)
    expect(result.code).toBe(1)
  })

  // The outside tester's receivers (/tmp/redteam-wh), each with one fault a real delivery hits.
  it('names the fault in a receiver that HMACs a latin1 re-decoding of the body: real "José Müller 🙂" deliveries would be lost', async () => {
    const target = await serve((body, headers) => ({ status: verify('s3cret', Buffer.from(body.toString('latin1'), 'utf8'), headers['x_yetto_signature'] as string).ok ? 204 : 401 }))
    const result = await run(target.url)
    expect(failed(result.stdout)).toEqual(['non-ascii-body'])
    expect(result.code).toBe(1)
    const sent = target.received.map((r) => r.body.toString('utf8')).find((b) => b.includes('José Müller 🙂'))
    expect(sent).toMatch(/𝄞/)
  })

  it('names the fault in a receiver that verifies message.* events only and lets the other groups in unsigned', async () => {
    const check = signedBy('s3cret')
    const target = await serve((body, headers) => ({ status: !String(headers['x_yetto_event']).startsWith('message.') || check(body, headers) ? 204 : 401 }))
    const result = await run(target.url)
    expect(failed(result.stdout)).toEqual(['tampered-body', 'wrong-secret', 'missing-signature', 'malformed-signature'])
    const missing = (JSON.parse(result.stdout) as ProbeJson).checks.find((c) => c.name === 'missing-signature')!
    // Open groups are named whole; deliveries without the event header are not message.* either.
    expect(missing.reason).toBe('accepted it (204) for conversation.*, inbox.*, organization.*, plug_installation.*, a delivery without X_YETTO_EVENT, a delivery without X_YETTO_EVENT and X_YETTO_DELIVERY: anyone could inject events')
    // Every event of the catalogue got an unsigned delivery, and so did deliveries without the event header.
    const unsigned = target.received.filter((r) => r.headers['x_yetto_signature'] === undefined)
    expect(new Set(unsigned.map((r) => r.headers['x_yetto_event']))).toEqual(new Set([...eventCatalogue().keys(), undefined]))
  })

  it('standard: names the fault in a receiver that refuses only past timestamps and accepts one an hour ahead', async () => {
    const seen = new Set<string>()
    const target = await serve((body, headers) => {
      const verdict = SCHEMES.standard.verify(SECRETS.standard, body, headers as never, { toleranceSeconds: Infinity, nowMs: Date.now() })
      if (!verdict.ok || Date.now() / 1000 - Number(headers['webhook-timestamp']) > 300) return { status: 401 }
      if (seen.has(String(headers['webhook-id']))) return { status: 409 }
      seen.add(String(headers['webhook-id']))
      return { status: 204 }
    })
    const result = await probe(target.url, 'standard')
    const report = JSON.parse(result.stdout) as ProbeJson
    expect(failed(result.stdout)).toEqual(['future-timestamp'])
    // Without webhook-id (signed) nothing verifies; every other future-dated delivery got in.
    expect(report.checks.find((c) => c.name === 'future-timestamp')!.reason).toBe('accepted it (204) for every event, a delivery without X_YETTO_EVENT: a captured delivery dated ahead stays replayable after the receiver forgets its id')
    expect(result.code).toBe(1)
  })

  it('a secret the scheme cannot use is a usage error for probe and listen, not a crash', async () => {
    const probed = await cli(['webhooks', 'probe', '--to', 'http://127.0.0.1:9/', '--secret', 'not base64!', '--scheme', 'standard'])
    expect(probed.code).toBe(2)
    expect(probed.stderr).toMatch(/Standard Webhooks secret is base64/)
    const listened = await cli(['webhooks', 'listen', '--port', '0', '--secret', 'not base64!', '--scheme', 'standard'])
    expect(listened.code).toBe(2)
    expect(listened.stderr).toMatch(/Standard Webhooks secret is base64/)
  })

  it('probes Standard Webhooks receivers too', async () => {
    const target = await serve((body, headers) => {
      const verdict = SCHEMES.standard.verify('s3cret', body, headers as never, { toleranceSeconds: 300, nowMs: Date.now() })
      return { status: verdict.ok ? 204 : 401 }
    })
    expect(failed((await run(target.url, ['--scheme', 'standard'])).stdout)).toEqual([])
  })
})
