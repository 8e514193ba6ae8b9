import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadContract, SHIPPED_CONTRACTS, STATES } from '../../src/pact/index.js'
import { reportFromError, reportFromOutput, verdictsOf } from '../../src/pact/verdicts.js'

describe('verdictsOf', () => {
  const contracts = [loadContract(join(SHIPPED_CONTRACTS, 'help-desk-customer-endpoint.json'))]
  const key = (i: number) => contracts[0]!.interactions[i]!.key
  const ok = (description: string) => ({ description, result: 'OK' })

  it('fails an interaction the verifier passed when the proxy found something, and puts the finding first', () => {
    const report = { interactionResults: contracts[0]!.interactions.map((i) => ok(i.description)) }
    const result = verdictsOf(report, { contracts, exchanges: [{ kind: 'request', key: key(0), recorded: 'valid', status: 200, elapsedMs: 3512, findings: ['answered in 3512 ms; the help desk gives up after 3000 ms'] }], stateCalls: [] })
    expect(result.ok).toBe(false)
    expect(result.interactions[0]).toEqual({ description: 'a signed request for a known customer', ok: false, mismatches: ['answered in 3512 ms; the help desk gives up after 3000 ms'] })
    expect(result.interactions.slice(1).every((i) => i.ok)).toBe(true)
  })

  it('names the failed state instead of the verifier\'s generic message, once despite its retries', () => {
    const generic = 'One or more of the setup state change handlers has failed'
    const failure = `provider state "${STATES.settingUp}" (setup): the state-change URL http://x/state answered 500`
    const call = { kind: 'state' as const, state: STATES.settingUp, action: 'setup', params: {}, status: 500, failure }
    const report = { interactionResults: [{ description: 'a signed set-up challenge', result: 'Error' }], errors: [{ interaction: `Verifying a pact between help-desk and customer-endpoint Given ${STATES.settingUp} - a signed set-up challenge`, mismatch: { message: generic } }] }
    expect(verdictsOf(report, { contracts, exchanges: [], stateCalls: [call, call, call] }).interactions[0]!.mismatches).toEqual([failure, generic])
  })

  it('a refused answer no known interaction claims (a broker pact with other requests) still fails the run', () => {
    const report = { interactionResults: contracts[0]!.interactions.map((i) => ok(i.description)) }
    const result = verdictsOf(report, { contracts, exchanges: [{ kind: 'request', key: 'GET /other/path -', recorded: 'unsigned', status: 200, elapsedMs: 5, findings: ['$.sections[0].href "javascript:x" is not a link the help desk opens (http:, https: or mailto:)'] }], stateCalls: [] })
    expect(result.interactions.every((i) => i.ok)).toBe(true)
    expect(result.unclaimed).toEqual(['GET /other/path: $.sections[0].href "javascript:x" is not a link the help desk opens (http:, https: or mailto:)'])
    expect(result.ok).toBe(false)
  })

  it('nothing verified is not a pass', () => {
    expect(verdictsOf({}, { contracts, exchanges: [], stateCalls: [] }).ok).toBe(false)
  })
})

describe('reading what the verifier returned', () => {
  const report = { interactionResults: [{ description: 'a signed request for a known customer', result: 'OK' }], output: ['\u001b[32mOK\u001b[0m'] }

  it('reads its JSON report whether it resolved with it or rejected with it', () => {
    expect(reportFromOutput(`  ${JSON.stringify(report)}\n`)).toEqual(report)
    expect(reportFromError(new Error(JSON.stringify(report)))).toEqual(report)
  })

  it('keeps plain output as lines, and a resolved non-string as no output', () => {
    expect(reportFromOutput('line one\nline two')).toEqual({ output: ['line one', 'line two'] })
    expect(reportFromOutput(undefined)).toEqual({ output: [] })
  })

  it('an error that carries no report (a crash, a bad option) is not one: the caller rethrows it', () => {
    expect(reportFromError(new Error('Cannot find module ./native.node'))).toBeUndefined()
    expect(reportFromError('not an error')).toBeUndefined()
    expect(reportFromError(undefined)).toBeUndefined()
  })

  it('strips colour from the output lines and splits them once more', () => {
    expect(verdictsOf({ ...report, output: ['\u001b[31mfailed\u001b[0m\nsecond'] }, { contracts: [], exchanges: [], stateCalls: [] }).output).toEqual(['failed', 'second'])
  })
})
