import { randomUUID } from 'node:crypto'
import { Option } from 'commander'
import type { CommandSpec } from '../../command.js'
import { EXIT } from '../../exit-codes.js'
import { junitXml } from '../../format.js'
import { writeOutput } from '../../io.js'
import { durationOption, formatDuration, urlOption } from '../../parse.js'
import { DELIVERY_DEFAULTS, RECEIVER_DEFAULTS, SCHEME_NAMES, type SchemeName } from '../../../webhooks/defaults.js'
import { resolveSecret, SECRET_ENV } from '../sign.js'

/** The help desk gives a receiver this long (docs/protocol.md §Webhooks): the sender's per-attempt timeout. */
const SLOW_MS = DELIVERY_DEFAULTS.timeoutMs

export interface ProbeCheck {
  readonly name: string
  readonly ok: boolean
  readonly status: number | null
  readonly latencyMs: number
  readonly reason: string
  readonly fix?: string
}

interface ProbeOptions {
  readonly to: string
  readonly secret?: string
  readonly scheme: SchemeName
  readonly expectReplayProtection?: true
  readonly timeout?: number
  readonly json?: true
  readonly junit?: string
}

export const probeCommand: CommandSpec<ProbeOptions> = {
  name: 'probe',
  summary: 'check a webhook receiver: it must accept signed deliveries and reject tampered, unsigned and wrongly signed ones',
  examples: ['ckit webhooks probe --to http://127.0.0.1:3000/webhooks --secret s3cret', 'ckit webhooks probe --to https://hooks.example.com/yetto --secret s3cret --expect-replay-protection --junit probe.xml'],
  exitCodes: { ok: 'every check passed', problems: 'a check failed', usage: 'usage error' },
  define: (command) =>
    command
      .requiredOption('--to <url>', "the receiver's URL", urlOption('--to'))
      .option('--secret <secret>', `the signing secret the receiver is configured with (default $${SECRET_ENV})`)
      .addOption(new Option('--scheme <scheme>', 'how deliveries are signed').choices([...SCHEME_NAMES]).default(DELIVERY_DEFAULTS.scheme))
      .option('--expect-replay-protection', 'also require that a replayed delivery is rejected, and a stale or future timestamp where the scheme signs it (standard)')
      .option('--timeout <duration>', `per request (default ${formatDuration(SLOW_MS)}, what the help desk allows)`, durationOption('--timeout'))
      .option('--json', 'print { ok, checks } on stdout')
      .option('--junit <file>', 'write the checks as JUnit XML, for CI'),
  async run(_args, options, io) {
    const secret = resolveSecret(options, io)
    const target = options.to
    const { SCHEMES } = await import('../../../webhooks/index.js')
    const { fakePayload } = await import('../../../fake/index.js')
    const scheme = SCHEMES[options.scheme]
    // A secret the scheme cannot use is the user's mistake, said before anything is sent.
    scheme.checkSecret(secret)
    const timeoutMs = options.timeout ?? SLOW_MS
    const { eventCatalogue } = await import('../../../schema/index.js')
    // One event per group (conversation.*, message.*, …): a receiver that verifies only the events it
    // cares about and waves the rest through unsigned is as open as one that verifies nothing.
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
    const send = async (text: string, headers: Record<string, string>) => {
      const started = performance.now()
      try {
        const response = await fetch(target, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
        await response.body?.cancel().catch(() => {})
        return { status: response.status as number | null, latencyMs: Math.round(performance.now() - started), error: undefined as string | undefined }
      } catch (error) {
        const err = error as Error & { cause?: { code?: string } }
        return { status: null, latencyMs: Math.round(performance.now() - started), error: err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message) }
      }
    }
    const checks: ProbeCheck[] = []
    /** Checks the scheme cannot pass, so they are not run: a false red is as wrong as a false green. */
    const notApplicable: { name: string; reason: string }[] = []
    const mustAccept = async (name: string, text: string, headers: Record<string, string>, fix: string) => {
      const r = await send(text, headers)
      const ok = r.status !== null && r.status >= 200 && r.status < 300
      const reason = r.status === null ? `no answer: ${r.error}` : r.status >= 300 && r.status < 400 ? `answered ${r.status}, a redirect: deliveries do not follow redirects` : ok ? `accepted (${r.status}) in ${r.latencyMs} ms` : `refused a correctly signed delivery (${r.status})`
      const slow = ok && r.latencyMs > SLOW_MS
      checks.push({ name, ok: ok && !slow, status: r.status, latencyMs: r.latencyMs, reason: slow ? `answered after ${r.latencyMs} ms, over the ${SLOW_MS} ms the help desk waits` : reason, ...(ok && !slow ? {} : { fix }) })
      return ok
    }
    /** One forged delivery per event group (forge builds body and headers for an event); every one must be refused. */
    const mustReject = async (name: string, forge: (event: string) => { text: string; headers: Record<string, string> }, fix: string, events = forgedEvents.map((e) => e.event), harm = 'anyone could inject events') => {
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
      checks.push({ name, ok, status: shown.status, latencyMs: Math.max(...results.map((r) => r.latencyMs)), reason, ...(ok ? {} : { fix: events.length === 1 ? fix : `${fix}; do so for every event, whatever its event header says (that header is not signed)` }) })
    }
    const signatureHeader = scheme.signatureHeader
    const validBody = body()
    await mustAccept('valid', validBody, sign(validBody), `accept deliveries signed with this secret: verify ${signatureHeader} over the raw body and answer 2xx within ${SLOW_MS / 1000} s`)
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
      // An attacker replays the body; for yetto the unsigned id and timestamp headers are rewritten too.
      // An attacker replays the body; where id and timestamp are unsigned they come with fresh values.
      const replayHeaders = scheme.signsIdAndTimestamp ? firstHeaders : sign(first)
      await mustReject('replay', () => ({ text: first, headers: replayHeaders }), scheme.signsIdAndTimestamp ? `remember accepted ${scheme.idHeader} values and refuse repeats` : 'remember the MAC of accepted bodies and refuse repeats: the delivery id and timestamp headers are not signed (ReplayGuard)', ['message.created'], 'a captured delivery can be replayed')
      if (scheme.signsIdAndTimestamp) {
        const dated = (offsetSeconds: number) => () => {
          const text = body()
          return { text, headers: sign(text, secret, now() + offsetSeconds) }
        }
        await mustReject('stale-timestamp', dated(-3600), `refuse deliveries whose ${scheme.timestampHeader} is more than ${RECEIVER_DEFAULTS.toleranceSeconds / 60} minutes from now`, ['message.created'], 'a captured delivery can be replayed once the receiver forgets its id')
        // The spec's window is symmetric (|now - ts| > 300 s is refused): a correctly signed delivery
        // dated an hour ahead is one an attacker who captured it can replay once the id store forgets it.
        await mustReject('future-timestamp', dated(3600), `refuse deliveries whose ${scheme.timestampHeader} is more than ${RECEIVER_DEFAULTS.toleranceSeconds / 60} minutes ahead of now too, not only behind`, ['message.created'], 'a captured delivery dated ahead stays replayable after the receiver forgets its id')
      } else {
        // A receiver cannot be required to refuse what an attacker can rewrite: an unsigned timestamp
        // (yetto, advisory and off by default) or none at all (github). The replay check covers both.
        for (const name of ['stale-timestamp', 'future-timestamp'])
          notApplicable.push({
            name,
            reason: scheme.name === 'github' ? 'GitHub signs no timestamp' : `the ${scheme.name} scheme does not sign its timestamp header, so refusing old or future ones is advisory, not replay protection`,
          })
      }
    }
    const ok = checks.every((c) => c.ok)
    if (options.junit) await writeOutput(io, options.junit, junitXml(target, checks))
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ ok, target, scheme: scheme.name, checks, notApplicable }, null, 2)}\n`)
    } else {
      for (const c of checks) io.stdout.write(`${c.ok ? '✔' : '✖'} ${c.name.padEnd(24)} ${c.reason}${c.fix ? `\n    fix: ${c.fix}` : ''}\n`)
      for (const c of notApplicable) io.stdout.write(`- ${c.name.padEnd(24)} not applicable: ${c.reason}\n`)
      io.stdout.write(`${ok ? 'the receiver passed every check' : `${checks.filter((c) => !c.ok).length} of ${checks.length} checks failed`}\n`)
    }
    return ok ? EXIT.ok : EXIT.problems
  },
}
