import { describe, expect, it } from 'vitest'
import { loadVerifier } from '../../src/pact/engine.js'

describe('the optional Pact engine', () => {
  it('is loaded on demand; when it is not installed, the error says how to add it', async () => {
    const missing = Object.assign(new Error("Cannot find package '@pact-foundation/pact' imported from /app/node_modules/connection-kit/dist/pact/engine.js"), { code: 'ERR_MODULE_NOT_FOUND' })
    const error = await loadVerifier(() => Promise.reject(missing)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CKIT_PACT_ENGINE_MISSING', errorClass: 'usage' })
    expect((error as Error).message).toMatch(/npm install --save-dev @pact-foundation\/pact@16/)
    // Any other failure is not disguised as a missing engine.
    const broken = Object.assign(new Error("Cannot find module './native.node'"), { code: 'ERR_MODULE_NOT_FOUND' })
    expect(await loadVerifier(() => Promise.reject(broken)).catch((e: unknown) => e)).toBe(broken)
    expect(typeof (await loadVerifier())).toBe('function')
  })
})
