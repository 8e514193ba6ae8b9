import { execFile } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/**
 * examples/vitest-sessions: one mock started in vitest's globalSetup, three test files with
 * conflicting default scenarios, run in parallel worker processes. Each file in its own session
 * passes; the same files all on the root (CKIT_EXAMPLE_NO_SESSIONS=1) break each other.
 * Imports `connection-kit/*`, so it runs against dist/ (npm run build).
 */
const EXAMPLE = new URL('../../examples/vitest-sessions/', import.meta.url).pathname
const VITEST = new URL('../../node_modules/vitest/vitest.mjs', import.meta.url).pathname

function runExample(extraEnv: Record<string, string>): Promise<{ code: number; output: string }> {
  // The outer run's worker variables would make the inner vitest think it is a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && !key.startsWith('TINYPOOL')))
  return new Promise((resolve) => {
    execFile(process.execPath, [VITEST, 'run', '--pool', 'forks', '--maxWorkers', '3', '--reporter', 'verbose'], { cwd: EXAMPLE, env: { ...env, NO_COLOR: '1', ...extraEnv }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` })
    })
  })
}

describe('examples/vitest-sessions', () => {
  it('passes with 3 workers against one shared mock, each file in its own session', async () => {
    const run = await runExample({})
    expect(run.output).toMatch(/Test Files\s+3 passed \(3\)/)
    expect(run.code, run.output).toBe(0)
  }, 120_000)

  it('fails when the same files share the root instead', async () => {
    const run = await runExample({ CKIT_EXAMPLE_NO_SESSIONS: '1' })
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toMatch(/finds exactly its own requests in its journal/)
    expect(run.output).toMatch(/Test Files\s+\d failed/)
  }, 120_000)
})
