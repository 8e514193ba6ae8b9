import type { Verifier } from '@pact-foundation/pact'
import { CkitError } from '../errors.js'
import { exchange } from '../http/exchange.js'
import { CONTRACT } from './contract.js'
import { contractFiles, loadContract, SHIPPED_CONTRACTS, type LoadedContract } from './contracts.js'
import { startContractProxy, type ProxyExchange, type StateCall, type StateHandler } from './proxy.js'

export interface VerifyProviderOptions {
  /** Where the endpoint is configured, e.g. http://127.0.0.1:3000/yetto (the path parameter is appended). */
  readonly providerBaseUrl: string
  /** The signing secret the endpoint verifies with. */
  readonly secret: string
  /** Pact files or folders of them (default: the shipped HTTP contract). */
  readonly contracts?: readonly string[]
  /** Pact's standard state-change endpoint of the provider: POST { state, params, action }. */
  readonly stateChangeUrl?: string
  /** In-process state handlers (tests): state sentence → setup, or { setup, teardown }. */
  readonly stateHandlers?: Readonly<Record<string, StateHandler>>
  readonly broker?: { readonly url: string; readonly token?: string; readonly providerVersion?: string; readonly publish?: boolean; readonly consumerVersionSelectors?: readonly Record<string, unknown>[] }
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug'
  /** The help desk's answer budget (default 3000 ms); tests shorten it. */
  readonly budgetMs?: number
}

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

export interface VerifierReport {
  errors?: { interaction: string; mismatch?: { message?: string; mismatches?: { mismatch?: string; path?: string }[] } }[]
  interactionResults?: { description: string; result: string }[]
  output?: string[]
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

/**
 * Runs the Pact Verifier against a live endpoint through the contract proxy (proxy.ts), which
 * re-signs and re-stamps the recorded requests, relays state changes and fails answers the help
 * desk would drop. Resolves with a verdict per interaction (never rejects for a failing
 * provider); throws CkitError for bad options and for contracts that are not for this provider.
 */
export async function verifyProvider(options: VerifyProviderOptions): Promise<ProviderVerification> {
  if (typeof options.secret !== 'string' || options.secret === '') throw new CkitError('CKIT_SIG_MISSING_SECRET', 'pact verify needs the signing secret the endpoint verifies with')
  let base: URL
  try {
    base = new URL(options.providerBaseUrl)
  } catch {
    throw new CkitError('CKIT_PACT_INVALID_OPTION', `the provider base URL must be an absolute http: or https: URL, instead got ${JSON.stringify(options.providerBaseUrl)}`)
  }
  const broker = options.broker
  const pactUrls = broker ? undefined : contractFiles(options.contracts ?? [SHIPPED_CONTRACTS])
  // With a broker the pacts are fetched by the verifier: the shipped one tells which request is which.
  const contracts = (pactUrls ?? contractFiles([SHIPPED_CONTRACTS])).map(loadContract)
  // Nothing useful happens against a provider that is not there: say so before starting.
  const probe = await exchange({ url: base.origin, method: 'HEAD' }, { timeoutMs: 5000, maxResponseBytes: 0, prefixBytes: () => 0 })
  if (!probe.ok) throw new CkitError('CKIT_PACT_PROVIDER_UNREACHABLE', `cannot reach the provider at ${base.origin} (${probe.failure.message}); is it running?`)
  const proxy = await startContractProxy({
    providerBaseUrl: options.providerBaseUrl,
    secret: options.secret,
    ...(options.stateChangeUrl ? { stateChangeUrl: options.stateChangeUrl } : {}),
    ...(options.stateHandlers ? { stateHandlers: options.stateHandlers } : {}),
    ...(options.budgetMs ? { budgetMs: options.budgetMs } : {}),
  })
  try {
    const PactVerifier = await loadVerifier()
    const verifier = new PactVerifier({
      provider: CONTRACT.provider,
      providerBaseUrl: proxy.url,
      // pact-js 16 only runs in-process state handlers and swallows their errors; the core's
      // own state-change request (setup and teardown) goes to the proxy, which relays it and fails it.
      providerStatesSetupUrl: proxy.stateUrl,
      logLevel: options.logLevel ?? 'error',
      ...(broker
        ? {
            pactBrokerUrl: broker.url,
            ...(broker.token ? { pactBrokerToken: broker.token } : {}),
            ...(broker.providerVersion ? { providerVersion: broker.providerVersion } : {}),
            publishVerificationResult: broker.publish === true,
            ...(broker.consumerVersionSelectors ? { consumerVersionSelectors: broker.consumerVersionSelectors as never } : {}),
          }
        : { pactUrls: pactUrls! }),
    } as ConstructorParameters<typeof Verifier>[0])
    let report: VerifierReport | undefined
    try {
      const output = await verifier.verifyProvider()
      report = typeof output === 'string' && output.trim().startsWith('{') ? (JSON.parse(output) as VerifierReport) : { output: typeof output === 'string' ? output.split('\n') : [] }
    } catch (error) {
      const message = (error as Error).message
      if (!message.trim().startsWith('{')) throw error
      report = JSON.parse(message) as VerifierReport
    }
    return verdictsOf(report, { contracts, exchanges: proxy.exchanges, stateCalls: proxy.stateCalls })
  } finally {
    await proxy.close()
  }
}

/** The npm package ckit pact verify drives; optional, so installs that never verify stay slim. */
export const PACT_ENGINE = '@pact-foundation/pact'

/**
 * The Pact engine (a 16 MB native library and its server) is an optional peer dependency: only
 * `ckit pact verify` needs it, so it is loaded here, on demand, and its absence is a usage error
 * that says how to add it.
 */
export async function loadVerifier(load: () => Promise<{ Verifier: typeof Verifier }> = () => import('@pact-foundation/pact')): Promise<typeof Verifier> {
  try {
    return (await load()).Verifier
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(PACT_ENGINE)) {
      throw new CkitError('CKIT_PACT_ENGINE_MISSING', `ckit pact verify runs the Pact engine, which connection-kit does not install by default: npm install --save-dev ${PACT_ENGINE}@16 (about 20 MB), then run it again. ckit pact proxy works without it.`, { cause: error })
    }
    throw error
  }
}
