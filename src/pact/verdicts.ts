import type { LoadedContract } from './contracts.js'
import type { ProxyExchange, StateCall } from './proxy.js'

export interface InteractionVerdict {
  readonly description: string
  readonly ok: boolean
  /** What did not match: the contract proxy's findings first, then the verifier's (path and expectation). */
  readonly mismatches: readonly string[]
}

export interface ProviderVerification {
  readonly ok: boolean
  readonly interactions: readonly InteractionVerdict[]
  /** Every state-change request sent, in order (what the provider's state-change URL received). */
  readonly stateChanges: readonly StateCall[]
  /** What the proxy refused in answers to requests no known interaction sent (e.g. a broker's other pact). */
  readonly unclaimed: readonly string[]
  /** The verifier's own report, line by line (ANSI colour removed). */
  readonly output: readonly string[]
}

/** The Pact verifier's JSON report, the parts read here. */
export interface VerifierReport {
  errors?: { interaction: string; mismatch?: { message?: string; mismatches?: { mismatch?: string; path?: string }[] } }[]
  interactionResults?: { description: string; result: string }[]
  output?: string[]
}

const isJsonText = (value: unknown): value is string => typeof value === 'string' && value.trim().startsWith('{')

/** What the verifier resolved with: its JSON report, or plain output lines when it printed no JSON. */
export function reportFromOutput(output: unknown): VerifierReport {
  if (isJsonText(output)) return JSON.parse(output) as VerifierReport
  return { output: typeof output === 'string' ? output.split('\n') : [] }
}

/**
 * What the verifier rejected with: a failed verification carries its JSON report as the error's
 * message. Anything else (a crash, a bad option) is not a report: undefined, for the caller to rethrow.
 */
export function reportFromError(error: unknown): VerifierReport | undefined {
  const message = (error as Error | undefined)?.message
  return isJsonText(message) ? (JSON.parse(message) as VerifierReport) : undefined
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '')
const STATE_HANDLER_FAILED = /state change handlers? has failed/i

/**
 * The verifier's JSON report as verdicts per interaction, with what the contract proxy saw: an
 * interaction fails on its proxy findings (late, too large, bad header or link) and on a failed
 * state change, named with the state and the status, whatever the verifier concluded.
 */
export function verdictsOf(report: VerifierReport, seen: { contracts: readonly LoadedContract[]; exchanges: readonly ProxyExchange[]; stateCalls: readonly StateCall[] }): ProviderVerification {
  const keysOf = new Map<string, Set<string>>()
  for (const interaction of seen.contracts.flatMap((c) => c.interactions)) keysOf.set(interaction.description, (keysOf.get(interaction.description) ?? new Set()).add(interaction.key))
  const claimed = new Set<ProxyExchange>()
  const interactions = (report.interactionResults ?? []).map((result) => {
    const errors = (report.errors ?? []).filter((e) => e.interaction.endsWith(` - ${result.description}`) || e.interaction.includes(` - ${result.description} - `))
    const verifier = errors.flatMap((e) => e.mismatch?.mismatches?.map((m) => `${m.path ?? ''} ${m.mismatch ?? ''}`.trim()) ?? (e.mismatch?.message ? [e.mismatch.message] : []))
    const keys = keysOf.get(result.description) ?? new Set()
    const mine = seen.exchanges.filter((x) => keys.has(x.key))
    for (const exchange of mine) claimed.add(exchange)
    const findings = [...new Set(mine.flatMap((x) => x.findings))]
    const stateFailed = verifier.some((m) => STATE_HANDLER_FAILED.test(m))
    const states = stateFailed ? [...new Set(seen.stateCalls.filter((c) => c.failure !== undefined && errors.some((e) => e.interaction.includes(`Given ${c.state}`))).map((c) => c.failure!))] : []
    const mismatches = [...findings, ...states, ...verifier]
    return { description: result.description, ok: result.result === 'OK' && findings.length === 0 && states.length === 0, mismatches }
  })
  const unclaimed = seen.exchanges.filter((x) => !claimed.has(x) && x.findings.length > 0).map((x) => `${x.key.split(' ').slice(0, 2).join(' ')}: ${x.findings.join('; ')}`)
  const output = (report.output ?? []).flatMap((line) => stripAnsi(line).split('\n'))
  return { ok: interactions.length > 0 && interactions.every((i) => i.ok) && unclaimed.length === 0, interactions, stateChanges: seen.stateCalls, unclaimed, output }
}
