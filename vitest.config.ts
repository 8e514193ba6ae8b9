import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// .ci/run sets CKIT_VITEST_JSON to collect counts for its closing "N passed, N failed" line.
const jsonReport = process.env['CKIT_VITEST_JSON']

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    env: { PACT_DO_NOT_TRACK: 'true', NO_COLOR: '1' },
    testTimeout: 20_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
})
