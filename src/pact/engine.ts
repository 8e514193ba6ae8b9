import type { Verifier } from '@pact-foundation/pact'
import { CkitError } from '../errors.js'

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
