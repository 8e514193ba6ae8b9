import { describe, expect, it } from 'vitest'
import { compileScenarioConfig, parseScenario, SCENARIO_CATALOGUE } from '../../src/mock/index.js'
import { ScenarioBook } from '../../src/mock/scenarios.js'

const book = (config: unknown, seed = 1) => {
  const compiled = compileScenarioConfig(config, seed)
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors))
  return new ScenarioBook(compiled.book)
}

describe('scenario names', () => {
  it('parse every catalogue entry (with sample arguments)', () => {
    for (const { name } of SCENARIO_CATALOGUE) {
      const concrete = name.replace('<ms>', '250').replace('<code>', '503').replace('<chunks>', '4')
      expect(parseScenario(concrete), concrete).toMatchObject({ ok: true })
    }
    expect(parseScenario('drip:4:100')).toEqual({ ok: true, scenario: { name: 'drip:4:100', kind: 'drip', chunks: 4, ms: 100 } })
  })

  it.each(['stauts:500', 'status:99', 'status:abc', 'delay', 'delay:-1', 'drip:0:10', 'schema-invalid:nope', '', 'OK'])('refuse %j with a message naming it', (name) => {
    const parsed = parseScenario(name)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.message.length).toBeGreaterThan(10)
  })
})

describe('scenario rules', () => {
  it('match exact e-mails and globs, case-insensitively, before the default', () => {
    const b = book({ default: 'status:500', rules: [{ match: 'Slow@Example.com', scenario: 'delay:10' }, { match: '*@timeout.test', scenario: 'timeout' }] })
    expect(b.choose('slow@example.com', undefined).scenario.name).toBe('delay:10')
    expect(b.choose('x@TIMEOUT.test', undefined)).toMatchObject({ scenario: { kind: 'timeout' }, source: 'rule:*@timeout.test' })
    expect(b.choose('other@example.com', undefined)).toMatchObject({ scenario: { name: 'status:500' }, source: 'default' })
  })

  it('run sequences per e-mail, then repeat the last step', () => {
    const b = book({ rules: [{ match: 'flaky@example.com', sequence: ['status:503', 'status:503', 'ok'] }] })
    const names = Array.from({ length: 5 }, () => b.choose('flaky@example.com', undefined).scenario.name)
    expect(names).toEqual(['status:503', 'status:503', 'ok', 'ok', 'ok'])
    b.reset()
    expect(b.choose('flaky@example.com', undefined).scenario.name).toBe('status:503')
  })

  it('draw probabilities from the seed: reproducible, and close to p', () => {
    const run = (seed: number) => {
      const b = book({ rules: [{ match: '*@chaos.test', p: 0.2, scenario: 'status:500' }] }, seed)
      return Array.from({ length: 2000 }, (_, i) => b.choose(`u${i % 10}@chaos.test`, undefined).scenario.name)
    }
    const first = run(9)
    expect(run(9)).toEqual(first)
    expect(run(10)).not.toEqual(first)
    const failures = first.filter((n) => n === 'status:500').length
    expect(failures).toBeGreaterThan(300)
    expect(failures).toBeLessThan(500)
  })

  it('let the request header win over rules', () => {
    const b = book({ rules: [{ match: '*', scenario: 'timeout' }] })
    const header = parseScenario('ok')
    expect(header.ok && b.choose('a@b.c', header.scenario)).toMatchObject({ source: 'header', scenario: { kind: 'ok' } })
  })

  it('report every configuration problem with its pointer', () => {
    const compiled = compileScenarioConfig({ default: 'nope', rules: [{ match: '', scenario: 'ok' }, { match: 'a@b.c', sequence: [] }, { match: 'a@b.c', scenario: 'ok', p: 2 }, { match: 'x', scenario: 'ok', extra: 1 }], other: 1 }, 1)
    expect(compiled.ok).toBe(false)
    if (!compiled.ok) {
      expect(compiled.errors.map((e) => e.pointer).sort()).toEqual(['/default', '/other', '/rules/0/match', '/rules/1/sequence', '/rules/2/p', '/rules/3/extra'].sort())
    }
  })
})
