import { exchange } from '../http/exchange.js'
import { randomUUID } from 'node:crypto'
import { fakePayload } from '../fake/index.js'
import { eventCatalogue } from '../schema/index.js'
import { DELIVERY_DEFAULTS, SCHEMES, type SchemeName } from '../webhooks/index.js'
import type { CheckResult } from './result.js'

/** Every check the probe can report, in the order it runs them. */
export const PROBE_CHECK_NAMES = [
  'valid',
  'raw-body',
  'non-ascii-body',
  'tampered-body',
  'wrong-secret',
  'missing-signature',
  'malformed-signature',
  'replay (first delivery)',
  'replay',
  'stale-timestamp',
  'future-timestamp',
] as const
export type ProbeCheckName = (typeof PROBE_CHECK_NAMES)[number]

/** The help desk gives a receiver as long as a delivery attempt lasts (docs/protocol.md §Webhooks). */
export const PROBE_DEFAULTS = Object.freeze({ timeoutMs: DELIVERY_DEFAULTS.timeoutMs, scheme: DELIVERY_DEFAULTS.scheme })

export interface ProbeOptions {
  /** The receiver's URL. */
  readonly url: string
  /** The signing secret the receiver is configured with. */
  readonly secret: string
  readonly scheme?: SchemeName
  /** Also require that a replayed delivery is refused, and a stale or future timestamp where the scheme signs it. */
  readonly expectReplayProtection?: boolean
  /** Per request. A correctly signed delivery accepted later than the help desk waits fails whatever this is. */
  readonly timeoutMs?: number
}

/**
 * Checks a webhook receiver: it must accept signed deliveries and refuse tampered, unsigned and
 * wrongly signed ones. Checks the scheme cannot pass are skipped, not run: a false red is as wrong
 * as a false green. Never throws for what the receiver does; a secret the scheme cannot use throws
 * before anything is sent.
 */
export async function probeReceiver(options: ProbeOptions): Promise<CheckResult<ProbeCheckName>[]> {
  const { url: target, secret } = options
  const scheme = SCHEMES[options.scheme ?? PROBE_DEFAULTS.scheme]
  scheme.checkSecret(secret)
  const timeoutMs = options.timeoutMs ?? PROBE_DEFAULTS.timeoutMs
  const slowMs = PROBE_DEFAULTS.timeoutMs
  const groups = new Map<string, { event: string; kind: string }>()
  for (const [event, kind] of eventCatalogue()) if (!groups.has(event.split('.')[0]!)) groups.set(event.split('.')[0]!, { event, kind })
  const forgedEvents = [...groups.values()]
  const bases = new Map(await Promise.all(forgedEvents.map(async ({ event, kind }) => [event, { kind, payload: await fakePayload(event, 1) }] as const)))
  // A fresh object id per delivery: receivers that dedupe must not confuse two checks.
  const body = (pretty = false, event = 'message.created', edit?: (object: Record<string, unknown>) => void) => {
    const base = bases.get(event)!
    const payload = structuredClone(base.payload) as { yetto: Record<string, Record<string, unknown>> }
    const object = payload.yetto[base.kind]!
    object['id'] = `probe_${randomUUID()}`
    edit?.(object)
    return pretty ? JSON.stringify(payload, null, 2) : JSON.stringify(payload)
  }
  const sign = (text: string, key = secret, timestamp = Math.floor(Date.now() / 1000), event = 'message.created') => scheme.headers(key, { id: randomUUID(), event, body: text, timestamp })
  // Only the status matters: no body is read.
  const send = async (text: string, headers: Record<string, string>) => {
    const sent = await exchange({ url: target, method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } }, { timeoutMs, maxResponseBytes: 0, prefixBytes: () => 0 })
    return { status: sent.ok ? sent.status : null, latencyMs: Math.round(sent.latencyMs), error: sent.ok ? undefined : sent.failure.message }
  }
  const checks: CheckResult<ProbeCheckName>[] = []
  const mustAccept = async (name: ProbeCheckName, text: string, headers: Record<string, string>, fix: string) => {
    const r = await send(text, headers)
    const ok = r.status !== null && r.status >= 200 && r.status < 300
    const reason = r.status === null ? `no answer: ${r.error}` : r.status >= 300 && r.status < 400 ? `answered ${r.status}, a redirect: deliveries do not follow redirects` : ok ? `accepted (${r.status}) in ${r.latencyMs} ms` : `refused a correctly signed delivery (${r.status})`
    const slow = ok && r.latencyMs > slowMs
    checks.push({ name, status: ok && !slow ? 'pass' : 'fail', reason: slow ? `answered after ${r.latencyMs} ms, over the ${slowMs} ms the help desk waits` : reason, ...(ok && !slow ? {} : { fix }), latencyMs: r.latencyMs })
    return ok
  }
  /** One forged delivery per event group (forge builds body and headers for an event); every one must be refused. */
  const mustReject = async (name: ProbeCheckName, forge: (event: string) => { text: string; headers: Record<string, string> }, fix: string, events = forgedEvents.map((e) => e.event), harm = 'anyone could inject events') => {
    const results: { event: string; status: number | null; latencyMs: number; error?: string | undefined }[] = []
    for (const event of events) {
      const { text, headers } = forge(event)
      results.push({ event, ...(await send(text, headers)) })
    }
    const refused = (r: (typeof results)[number]) => r.status !== null && r.status >= 400 && r.status < 500
    const bad = results.filter((r) => !refused(r))
    const shown = bad[0] ?? results[0]!
    const which = (rs: typeof results) => (events.length === 1 ? '' : ` for ${rs.map((r) => r.event).join(', ')}`)
    const ok = bad.length === 0
    const reason = ok
      ? `rejected (${[...new Set(results.map((r) => r.status))].join('/')})${events.length === 1 ? '' : ` for each of ${events.length} event groups`}`
      : shown.status === null
        ? `no answer${which([shown])}: ${shown.error}`
        : `accepted it (${shown.status})${which(bad.filter((r) => r.status !== null))}: ${harm}`
    checks.push({ name, status: ok ? 'pass' : 'fail', reason, ...(ok ? {} : { fix: events.length === 1 ? fix : `${fix}; do so for every event, whatever its event header says (that header is not signed)` }), latencyMs: Math.max(...results.map((r) => r.latencyMs)) })
  }
  const signatureHeader = scheme.signatureHeader
  const validBody = body()
  await mustAccept('valid', validBody, sign(validBody), `accept deliveries signed with this secret: verify ${signatureHeader} over the raw body and answer 2xx within ${slowMs / 1000} s`)
  const pretty = body(true)
  await mustAccept('raw-body', pretty, sign(pretty), 'verify the signature over the raw request bytes before parsing; re-serialised JSON never matches (express.raw(), or webhookMiddleware from connection-kit/webhooks)')
  // Real deliveries carry names like "José Müller 🙂": a receiver that HMACs a re-decoded string
  // (latin1, or UTF-16 code units) instead of the raw UTF-8 bytes refuses them and loses them.
  const nonAscii = body(false, 'message.created', (message) => {
    message['text_content'] = 'Grüße aus Zürich — naïve café, 日本語, 🙂 𝄞'
    const author = message['author']
    if (author && typeof author === 'object') (author as Record<string, unknown>)['name'] = 'José Müller 🙂'
  })
  await mustAccept('non-ascii-body', nonAscii, sign(nonAscii), 'compute the HMAC over the raw request bytes as received (UTF-8), not over a string decoded as latin1 or re-encoded')
  const now = () => Math.floor(Date.now() / 1000)
  await mustReject(
    'tampered-body',
    (event) => {
      const original = body(false, event)
      // One byte changed after signing.
      return { text: original.replace('probe_', 'probf_'), headers: sign(original, secret, now(), event) }
    },
    `compare ${signatureHeader} with an HMAC of the bytes you received, in constant time`,
  )
  await mustReject(
    'wrong-secret',
    (event) => {
      const text = body(false, event)
      // A key the scheme can use (for standard, valid base64), so the check tests the receiver, not our encoder.
      return { text, headers: sign(text, scheme.otherSecret(secret), now(), event) }
    },
    "verify with your webhook's own signing secret, never a default",
  )
  await mustReject(
    'missing-signature',
    (event) => {
      const text = body(false, event)
      return { text, headers: Object.fromEntries(Object.entries(sign(text, secret, now(), event)).filter(([name]) => name.toLowerCase() !== signatureHeader.toLowerCase())) }
    },
    `refuse deliveries without ${signatureHeader} (401); a proxy that drops underscore headers needs underscores_in_headers on`,
  )
  await mustReject(
    'malformed-signature',
    (event) => {
      const text = body(false, event)
      return { text, headers: { ...sign(text, secret, now(), event), [signatureHeader]: scheme.name === 'standard' ? 'v1,not-base64!' : 'sha256=xyz' } }
    },
    `refuse a ${signatureHeader} that is not a well-formed signature`,
  )
  if (options.expectReplayProtection) {
    const first = body()
    const firstHeaders = sign(first)
    await mustAccept('replay (first delivery)', first, firstHeaders, 'accept the first delivery')
    // An attacker replays the body; where id and timestamp are unsigned they come with fresh values.
    const replayHeaders = scheme.signsIdAndTimestamp ? firstHeaders : sign(first)
    await mustReject('replay', () => ({ text: first, headers: replayHeaders }), scheme.signsIdAndTimestamp ? 'remember accepted webhook-id values and refuse repeats' : 'remember the MAC of accepted bodies and refuse repeats: the delivery id and timestamp headers are not signed (ReplayGuard)', ['message.created'], 'a captured delivery can be replayed')
    if (scheme.signsIdAndTimestamp) {
      const dated = (offsetSeconds: number) => () => {
        const text = body()
        return { text, headers: sign(text, secret, now() + offsetSeconds) }
      }
      await mustReject('stale-timestamp', dated(-3600), 'refuse deliveries whose webhook-timestamp is more than 5 minutes from now', ['message.created'], 'a captured delivery can be replayed once the receiver forgets its id')
      // The spec's window is symmetric (|now - ts| > 300 s is refused): a correctly signed delivery
      // dated an hour ahead is one an attacker who captured it can replay once the id store forgets it.
      await mustReject('future-timestamp', dated(3600), 'refuse deliveries whose webhook-timestamp is more than 5 minutes ahead of now too, not only behind', ['message.created'], 'a captured delivery dated ahead stays replayable after the receiver forgets its id')
    } else {
      // A receiver cannot be required to refuse what an attacker can rewrite: an unsigned timestamp
      // (yetto, advisory and off by default) or none at all (github). The replay check covers both.
      for (const name of ['stale-timestamp', 'future-timestamp'] as const)
        checks.push({
          name,
          status: 'skip',
          reason: scheme.name === 'github' ? 'GitHub signs no timestamp' : `the ${scheme.name} scheme does not sign its timestamp header, so refusing old or future ones is advisory, not replay protection`,
        })
    }
  }
  return checks
}
