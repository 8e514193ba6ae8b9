export { CONTRACT, STATES, contractContext } from './contract.js'
export { verifyProvider, resignRequest, contractFiles, SHIPPED_CONTRACTS } from './verify.js'
export type { VerifyProviderOptions, ProviderVerification, InteractionVerdict } from './verify.js'
