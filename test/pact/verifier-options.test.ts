import { describe, expect, it } from 'vitest'
import { CONTRACT } from '../../src/pact/index.js'
import { verifierOptions } from '../../src/pact/verifier-options.js'

const through = { proxyUrl: 'http://127.0.0.1:4100', stateUrl: 'http://127.0.0.1:4100/_ckit/state' }

describe('verifierOptions (what the Pact Verifier is given)', () => {
  it('pact files: the contract provider, the proxy as the provider and the state URL, quiet by default', () => {
    expect(verifierOptions({ ...through, source: { pactUrls: ['/c/a.json'] } })).toEqual({
      provider: CONTRACT.provider,
      providerBaseUrl: through.proxyUrl,
      providerStatesSetupUrl: through.stateUrl,
      logLevel: 'error',
      pactUrls: ['/c/a.json'],
    })
  })

  it('a broker: its URL, token, version and selectors; results are published only when asked', () => {
    const options = verifierOptions({ ...through, logLevel: 'debug', source: { broker: { url: 'https://broker.example', token: 't', providerVersion: 'abc123', consumerVersionSelectors: [{ latest: true }] } } })
    expect(options).toEqual({
      provider: CONTRACT.provider,
      providerBaseUrl: through.proxyUrl,
      providerStatesSetupUrl: through.stateUrl,
      logLevel: 'debug',
      pactBrokerUrl: 'https://broker.example',
      pactBrokerToken: 't',
      providerVersion: 'abc123',
      publishVerificationResult: false,
      consumerVersionSelectors: [{ latest: true }],
    })
    expect(verifierOptions({ ...through, source: { broker: { url: 'https://broker.example', publish: true } } })).toEqual({
      provider: CONTRACT.provider,
      providerBaseUrl: through.proxyUrl,
      providerStatesSetupUrl: through.stateUrl,
      logLevel: 'error',
      pactBrokerUrl: 'https://broker.example',
      publishVerificationResult: true,
    })
  })

  it('never sends pact files and a broker together', () => {
    expect(verifierOptions({ ...through, source: { broker: { url: 'https://broker.example' } } })).not.toHaveProperty('pactUrls')
    expect(verifierOptions({ ...through, source: { pactUrls: [] } })).not.toHaveProperty('pactBrokerUrl')
  })
})
