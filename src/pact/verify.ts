import { CkitError } from '../errors.js'
import { exchange } from '../http/exchange.js'
import { contractFiles, loadContract, SHIPPED_CONTRACTS } from './contracts.js'
import { loadVerifier } from './engine.js'
import { startContractProxy, type StateHandler } from './proxy.js'
import { reportFromError, reportFromOutput, verdictsOf, type ProviderVerification, type VerifierReport } from './verdicts.js'
import { verifierOptions, type BrokerOptions, type PactLogLevel } from './verifier-options.js'

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
  readonly broker?: BrokerOptions
  readonly logLevel?: PactLogLevel
  /** The help desk's answer budget (default 3000 ms); tests shorten it. */
  readonly budgetMs?: number
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
    const verifier = new PactVerifier(verifierOptions({ proxyUrl: proxy.url, stateUrl: proxy.stateUrl, ...(options.logLevel ? { logLevel: options.logLevel } : {}), source: broker ? { broker } : { pactUrls: pactUrls! } }))
    let report: VerifierReport
    try {
      report = reportFromOutput(await verifier.verifyProvider())
    } catch (error) {
      const failed = reportFromError(error)
      if (!failed) throw error
      report = failed
    }
    return verdictsOf(report, { contracts, exchanges: proxy.exchanges, stateCalls: proxy.stateCalls })
  } finally {
    await proxy.close()
  }
}
