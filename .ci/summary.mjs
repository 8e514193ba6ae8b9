// Prints "N passed, N failed" from vitest's JSON report (and the smoke reports given after it). Lint or typecheck failing before vitest
// ran (no report) counts as one failure, so a red run never prints "0 failed".
import { existsSync, readFileSync } from 'node:fs'

const [report, status] = process.argv.slice(2)
let passed = 0
let failed = 0
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed = json.numPassedTests ?? 0
  failed = json.numFailedTests ?? 0
  // A test file that fails to load has no failed tests but a failed suite.
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) failed += 1
  }
}
// Smoke runs of the packed package on other Node majors (.ci/node-smoke.mjs) count as tests too.
for (const file of process.argv.slice(4)) {
  if (!existsSync(file)) {
    failed += 1
    continue
  }
  const smoke = JSON.parse(readFileSync(file, 'utf8'))
  passed += smoke.passed
  failed += smoke.failed
}
if (failed === 0 && status !== '0') failed = 1
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 && passed > 0 ? 0 : 1)
