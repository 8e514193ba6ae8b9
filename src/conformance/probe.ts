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

/** Forged deliveries in flight at once: a few hundred per run stay quick without flooding the receiver. */
const FORGED_AT_ONCE = 8

/** `run` over every item, at most FORGED_AT_ONCE at a time, results in the order given. */
async function inParallel<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(FORGED_AT_ONCE, items.length) }, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await run(items[index]!)
      }
    }),
  )
  return results
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
  // Every event, not one per group: the event header is unsigned, and a receiver that skips
  // verification for some events (deletes handled by another worker) is open to forged ones.
  const catalogue = [...eventCatalogue()]
  const events = catalogue.map(([event]) => event)
  const bases = new Map(await Promise.all(catalogue.map(async ([event, kind]) => [event, { kind, payload: await fakePayload(event, 1) }] as const)))
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
  // Receivers that take a delivery without these headers for a ping (204, nothing verified) let
  // in whatever the attacker sends without them; the header names are the scheme's own.
  const withoutHeaders = [[scheme.eventHeader], [scheme.eventHeader, scheme.idHeader]].map((names) => ({ names, label: `a delivery without ${names.join(' and ')}` }))
  const drop = (headers: Record<string, string>, names: readonly string[]) => Object.fromEntries(Object.entries(headers).filter(([name]) => !names.some((n) => n.toLowerCase() === name.toLowerCase())))
  type Forge = (event: string) => { text: string; headers: Record<string, string> }
  /** Several ways of forging one check, named in its reason as "<intro> <label>, <label>". */
  interface Forms {
    readonly intro: string
    readonly forms: readonly { readonly label: string; readonly forge: Forge }[]
  }
  /**
   * Every way of forging, for every event of the catalogue and once more without the event and
   * delivery-id headers; every one must be refused. The reason names the events and forms that got in.
   */
  const mustReject = async (name: ProbeCheckName, forgery: Forge | Forms, fix: string, harm = 'anyone could inject events') => {
    const { intro, forms } = typeof forgery === 'function' ? { intro: '', forms: [{ label: '', forge: forgery }] } : forgery
    const cases = forms.flatMap((form) => [
      ...events.map((event) => ({ form: form.label, target: event, ...form.forge(event) })),
      ...withoutHeaders.map(({ names, label }) => {
        const forged = form.forge('message.created')
        return { form: form.label, target: label, text: forged.text, headers: drop(forged.headers, names) }
      }),
    ])
    const results = await inParallel(cases, async (c) => ({ ...c, ...(await send(c.text, c.headers)) }))
    const refused = (r: (typeof results)[number]) => r.status !== null && r.status >= 400 && r.status < 500
    const bad = results.filter((r) => !refused(r))
    const ok = bad.length === 0
    const answered = bad.filter((r) => r.status !== null)
    // Named only when some forms were refused: then the form is the flaw.
    const formsIn = distinct(answered.map((r) => r.form))
    const selective = new Set(answered.map((r) => r.target)).size < events.length + withoutHeaders.length
    const reason = ok
      ? `rejected (${distinct(results.map((r) => String(r.status))).join('/')}) all ${results.length} forged deliveries (every event, and without ${withoutHeaders.at(-1)!.names.join(' or ')})`
      : answered.length === 0
        ? `no answer for ${targets(bad)}: ${bad[0]!.error}`
        : `accepted it (${distinct(answered.map((r) => String(r.status))).join('/')}) for ${targets(answered)}${formsIn.length === forms.length ? '' : ` ${intro} ${formsIn.join(', ')}`}: ${harm}`
    // The event header is unsigned: a receiver that verifies by event lets in whatever names another.
    const fixed = selective ? `${fix}; do so for every delivery, whatever its event header says or whether it has one (that header is not signed)` : fix
    checks.push({ name, status: ok ? 'pass' : 'fail', reason, ...(ok ? {} : { fix: fixed }), latencyMs: Math.max(...results.map((r) => r.latencyMs)) })
  }
  const distinct = (values: readonly string[]) => [...new Set(values)]
  /** The deliveries that got in, in catalogue order; a whole group as `group.*`, the whole catalogue as "every event", everything sent as "every delivery". */
  const targets = (results: readonly { target: string }[]) => {
    const hit = new Set(results.map((r) => r.target))
    const group = (event: string) => event.slice(0, event.lastIndexOf('.'))
    if (events.every((e) => hit.has(e)) && withoutHeaders.every(({ label }) => hit.has(label))) return 'every delivery'
    const named = events.every((e) => hit.has(e))
      ? ['every event']
      : distinct(events.filter((e) => hit.has(e)).map((e) => (events.filter((o) => group(o) === group(e)).every((o) => hit.has(o)) ? `${group(e)}.*` : e)))
    return [...named, ...withoutHeaders.filter(({ label }) => hit.has(label)).map(({ label }) => label)].join(', ')
  }
  /** The replay checks send one delivery as it was first sent: no events to vary, nothing to drop. */
  const mustRejectOne = async (name: ProbeCheckName, forged: { text: string; headers: Record<string, string> }, fix: string, harm: string) => {
    const r = await send(forged.text, forged.headers)
    const ok = r.status !== null && r.status >= 400 && r.status < 500
    const reason = ok ? `rejected (${r.status})` : r.status === null ? `no answer: ${r.error}` : `accepted it (${r.status}): ${harm}`
    checks.push({ name, status: ok ? 'pass' : 'fail', reason, ...(ok ? {} : { fix }), latencyMs: r.latencyMs })
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
  // Signed with raw key bytes as the scheme signs, headers and all, as a real delivery would be.
  const signedWithKey = (key: Uint8Array) => (event: string) => {
    const text = body(false, event)
    const delivery = { id: randomUUID(), event, body: text, timestamp: now() }
    return { text, headers: { ...scheme.headers(secret, delivery), [signatureHeader]: scheme.signWithKey(key, delivery) } }
  }
  await mustReject(
    'wrong-secret',
    {
      intro: 'signed with',
      forms: [
        {
          label: 'another secret',
          forge: (event) => {
            const text = body(false, event)
            // A key the scheme can use (for standard, valid base64), so the check tests the receiver, not our encoder.
            return { text, headers: sign(text, scheme.otherSecret(secret), now(), event) }
          },
        },
        // What a rotation list with an unset secret (`[NEW, process.env.OLD ?? '']`) verifies with.
        { label: 'the empty key', forge: signedWithKey(new Uint8Array(0)) },
      ],
    },
    "verify with your webhook's own signing secret, never a default or an empty key (drop unset secrets from a rotation list)",
  )
  await mustReject(
    'missing-signature',
    (event) => {
      const text = body(false, event)
      return { text, headers: drop(sign(text, secret, now(), event), [signatureHeader]) }
    },
    `refuse deliveries without ${signatureHeader} (401); a proxy that drops underscore headers needs underscores_in_headers on`,
  )
  // Cut from the real signature in the scheme's own form (sha256=<hex>, v1,<base64>): a receiver
  // that compares only as many characters as it was sent, or checks the sent digest is a prefix of
  // the expected one, accepts the empty digest, which anyone can send. Each keeps strictly less
  // than the digest (base64 padding is dropped before cutting), so a correct receiver refuses all.
  const malformed = (label: string, cut: (digest: string) => string) => ({
    label,
    forge: (event: string) => {
      const text = body(false, event)
      const headers = sign(text, secret, now(), event)
      const signature = headers[signatureHeader]!
      const prefix = signature.slice(0, signature.search(/[=,]/) + 1)
      return { text, headers: { ...headers, [signatureHeader]: prefix + cut(signature.slice(prefix.length).replace(/=+$/, '')) } }
    },
  })
  await mustReject(
    'malformed-signature',
    {
      intro: 'with',
      forms: [
        malformed('a digest that is neither hex nor base64', () => 'not-a-digest!'),
        malformed('an empty digest', () => ''),
        malformed('a digest cut to 8 characters', (digest) => digest.slice(0, 8)),
        malformed('a digest one character short', (digest) => digest.slice(0, -1)),
      ],
    },
    `refuse a ${signatureHeader} that is not a well-formed signature: compare the whole digest, of the expected length, in constant time (an empty or cut one must not verify)`,
  )
  if (options.expectReplayProtection) {
    const first = body()
    const firstHeaders = sign(first)
    await mustAccept('replay (first delivery)', first, firstHeaders, 'accept the first delivery')
    // An attacker replays the body; where id and timestamp are unsigned they come with fresh values.
    const replayHeaders = scheme.signsIdAndTimestamp ? firstHeaders : sign(first)
    await mustRejectOne('replay', { text: first, headers: replayHeaders }, scheme.signsIdAndTimestamp ? 'remember accepted webhook-id values and refuse repeats' : 'remember the MAC of accepted bodies and refuse repeats: the delivery id and timestamp headers are not signed (ReplayGuard)', 'a captured delivery can be replayed')
    if (scheme.signsIdAndTimestamp) {
      const dated = (offsetSeconds: number) => (event: string) => {
        const text = body(false, event)
        return { text, headers: sign(text, secret, now() + offsetSeconds, event) }
      }
      await mustReject('stale-timestamp', dated(-3600), 'refuse deliveries whose webhook-timestamp is more than 5 minutes from now', 'a captured delivery can be replayed once the receiver forgets its id')
      // The spec's window is symmetric (|now - ts| > 300 s is refused): a correctly signed delivery
      // dated an hour ahead is one an attacker who captured it can replay once the id store forgets it.
      await mustReject('future-timestamp', dated(3600), 'refuse deliveries whose webhook-timestamp is more than 5 minutes ahead of now too, not only behind', 'a captured delivery dated ahead stays replayable after the receiver forgets its id')
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
