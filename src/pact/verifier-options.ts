import type { VerifierOptions } from '@pact-foundation/pact'
import { CONTRACT } from './contract.js'

/** Pact's own option types (a type-only import: the engine itself is loaded lazily, engine.ts). */
export type ConsumerVersionSelector = NonNullable<VerifierOptions['consumerVersionSelectors']>[number]
export type PactLogLevel = NonNullable<VerifierOptions['logLevel']>

/** Where the verifier fetches pacts from a Pact Broker instead of files. */
export interface BrokerOptions {
  readonly url: string
  readonly token?: string
  readonly providerVersion?: string
  readonly publish?: boolean
  readonly consumerVersionSelectors?: readonly ConsumerVersionSelector[]
}

export interface VerifierTarget {
  /** The contract proxy's URL: the verifier talks to the endpoint only through it. */
  readonly proxyUrl: string
  /** The proxy's state-change route. */
  readonly stateUrl: string
  readonly logLevel?: PactLogLevel
  /** Pact files, or else a broker. */
  readonly source: { readonly pactUrls: readonly string[] } | { readonly broker: BrokerOptions }
}

/**
 * The Pact Verifier's options for a run through the contract proxy: the provider is always the
 * contract's, results are published only when asked, and only the options given are set.
 */
export function verifierOptions(target: VerifierTarget): VerifierOptions {
  const { source } = target
  return {
    provider: CONTRACT.provider,
    providerBaseUrl: target.proxyUrl,
    // pact-js 16 only runs in-process state handlers and swallows their errors; the core's
    // own state-change request (setup and teardown) goes to the proxy, which relays it and fails it.
    providerStatesSetupUrl: target.stateUrl,
    logLevel: target.logLevel ?? 'error',
    ...('broker' in source
      ? {
          pactBrokerUrl: source.broker.url,
          ...(source.broker.token ? { pactBrokerToken: source.broker.token } : {}),
          ...(source.broker.providerVersion ? { providerVersion: source.broker.providerVersion } : {}),
          publishVerificationResult: source.broker.publish === true,
          ...(source.broker.consumerVersionSelectors ? { consumerVersionSelectors: [...source.broker.consumerVersionSelectors] } : {}),
        }
      : { pactUrls: [...source.pactUrls] }),
  }
}
