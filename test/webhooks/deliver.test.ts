import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { deliver, deliverAll, retryAfterMs, type AttemptLog } from '../../src/webhooks/index.js'

/** A receiver that answers from a script and records what arrived. */
async function receiver(answers: Array<number | { status: number; headers?: Record<string, string> } | 'hang'>) {
  const received: { id: string | undefined; body: string; headers: IncomingMessage['headers'] }[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ id: req.headers['x_yetto_delivery'] as string | undefined, body: Buffer.concat(chunks).toString(), headers: req.headers })
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!
      if (answer === 'hang') return
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer
      res.writeHead(status, headers).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received }
}
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

const payload = JSON.stringify({ yetto: { message: { id: 'msg_1' } } })
const noWait = () => {
  const waits: number[] = []
  return { waits, sleep: async (ms: number) => void waits.push(ms) }
}

describe('deliver', () => {
  it('retries 503, 503 then succeeds: three attempts, one delivery id, the same body', async () => {
    const target = await receiver([503, 503, 200])
    const { waits, sleep } = noWait()
    const log: AttemptLog[] = []
    const result = await deliver(target.url, { event: 'message.created', payload }, { secret: 's', attempts: 3, backoffMs: 100, sleep, random: () => 0.5, onAttempt: (e) => log.push(e) })
    expect(result).toMatchObject({ delivered: true, status: 200 })
    expect(target.received).toHaveLength(3)
    expect(new Set(target.received.map((r) => r.id)).size).toBe(1)
    expect(new Set(target.received.map((r) => r.body)).size).toBe(1)
    expect(waits).toEqual([50, 100]) // full jitter: random × base × 2^(n-1)
    expect(log.map((e) => [e.attempt, e.status, e.errorKind])).toEqual([
      [1, 503, 'http_status'],
      [2, 503, 'http_status'],
      [3, 200, undefined],
    ])
  })

  it('never retries a 400 (or another 4xx but 408 and 429)', async () => {
    const target = await receiver([400, 200])
    const result = await deliver(target.url, { event: 'message.created', payload }, { secret: 's', attempts: 3, backoffMs: 100, ...noWait() })
    expect(result).toMatchObject({ delivered: false, status: 400 })
    expect(target.received).toHaveLength(1)
  })

  it('honours Retry-After in seconds and as an HTTP date, capped', async () => {
    const target = await receiver([{ status: 429, headers: { 'retry-after': '7' } }, { status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' } }, 200])
    const { waits, sleep } = noWait()
    await deliver(target.url, { event: 'message.created', payload }, { secret: 's', attempts: 3, sleep, maxRetryAfterMs: 60_000 })
    expect(waits).toEqual([7000, 60_000])
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 0)).toBe(10_000)
    expect(retryAfterMs('soon', 0)).toBeUndefined()
  })

  it('times out a hanging receiver per attempt and reports network errors by kind', async () => {
    const target = await receiver(['hang'])
    const result = await deliver(target.url, { event: 'message.created', payload }, { secret: 's', attempts: 2, timeoutMs: 100, ...noWait() })
    expect(result.attempts.map((a) => a.errorKind)).toEqual(['timeout', 'timeout'])
    const refused = await deliver('http://127.0.0.1:9/', { event: 'message.created', payload }, { secret: 's', attempts: 1 })
    expect(refused.attempts[0]).toMatchObject({ errorKind: 'network', status: null })
  })

  it('signs with the chosen scheme and delivers many with a concurrency limit', async () => {
    const target = await receiver([200])
    const results = await deliverAll(target.url, Array.from({ length: 5 }, (_, i) => ({ event: 'message.created', payload, id: `d-${i}` })), { secret: 'whsec_c2VjcmV0', scheme: 'standard', concurrency: 2 })
    expect(results.map((r) => r.deliveryId)).toEqual(['d-0', 'd-1', 'd-2', 'd-3', 'd-4'])
    expect(target.received.every((r) => typeof r.headers['webhook-signature'] === 'string')).toBe(true)
  })

  it('checks its options', async () => {
    await expect(deliver('http://127.0.0.1:9/', { event: 'x', payload }, { secret: 's', attempts: 0 })).rejects.toMatchObject({ code: 'CKIT_WEBHOOKS_INVALID_OPTION' })
    await expect(deliver('http://127.0.0.1:9/', { event: 'x', payload }, { secret: '' })).rejects.toMatchObject({ code: 'CKIT_SIG_MISSING_SECRET' })
  })
})
