import { describe, expect, it } from 'vitest'
import { compileScenarioConfig, parseScenario, SCENARIO_CATALOGUE } from '../../src/mock/index.js'
import { addRule, removeRule, ScenarioBook } from '../../src/mock/scenarios.js'

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

describe('single rules', () => {
  it('add one in front (the last added wins) with an id, and remove it by that id; other counters go on', () => {
    const compiled = compileScenarioConfig({ rules: [{ match: 'flaky@example.com', sequence: ['status:503', 'ok'] }, { match: '*@example.com', scenario: 'status:500' }] }, 1)
    if (!compiled.ok) throw new Error('invalid')
    const b = new ScenarioBook(compiled.book)
    expect(b.choose('flaky@example.com', undefined).scenario.name).toBe('status:503')
    const added = b.add({ match: 'kelly@example.com', scenario: 'status:418' })
    expect(added).toMatchObject({ ok: true, id: expect.stringMatching(/^rule-[0-9a-f]{12}$/) })
    if (!added.ok) return
    expect(b.config.rules?.map((r) => r.id)).toEqual([added.id, expect.any(String), expect.any(String)])
    expect(b.choose('kelly@example.com', undefined).scenario.name).toBe('status:418')
    expect(b.choose('flaky@example.com', undefined).scenario.name).toBe('ok')
    expect(b.remove(added.id)).toBe(true)
    expect(b.remove(added.id)).toBe(false)
    expect(b.choose('kelly@example.com', undefined).scenario.name).toBe('status:500')
  })

  it('are validated like a rule of the full configuration, with pointers relative to the rule', () => {
    const compiled = compileScenarioConfig({ rules: [{ id: 'taken', match: 'a@b.c', scenario: 'ok' }] }, 1)
    if (!compiled.ok) throw new Error('invalid')
    const bad = { id: 'taken', match: '', reason: 'automations', scenario: 'teapot', extra: 1 }
    const single = addRule(compiled.book, bad)
    const inFull = compileScenarioConfig({ rules: [bad] }, 1)
    expect(single.ok || single.errors.map((e) => e.pointer).sort()).toEqual(['/extra', '/id', '/match', '/reason', '/scenario'])
    expect(inFull.ok || inFull.errors.map((e) => e.pointer).sort()).toEqual(['/rules/0/extra', '/rules/0/match', '/rules/0/reason', '/rules/0/scenario'])
    expect(addRule(compiled.book, { scenario: 'ok' })).toMatchObject({ ok: false, errors: [{ pointer: '', message: expect.stringContaining('match') }] })
    expect(compileScenarioConfig({ rules: [{ id: 'x', reason: 'refresh', scenario: 'ok' }, { id: 'x', match: 'a@b.c', scenario: 'ok' }] }, 1)).toMatchObject({ ok: false, errors: [{ pointer: '/rules/1/id' }] })
    expect(removeRule(compiled.book, 'nope')).toBeUndefined()
  })

  it('match the request reason, alone or with the e-mail', () => {
    const b = book({ rules: [{ match: 'vip@example.com', reason: ['refresh', 'challenge'], scenario: 'status:503' }, { reason: 'automation', scenario: 'timeout' }] })
    expect(b.choose('anyone@example.com', undefined, 'automation')).toMatchObject({ scenario: { kind: 'timeout' }, source: 'rule:reason=automation' })
    expect(b.choose(undefined, undefined, 'automation').scenario.kind).toBe('timeout')
    expect(b.choose('anyone@example.com', undefined, 'conversation_viewed').scenario.kind).toBe('ok')
    expect(b.choose('vip@example.com', undefined, 'refresh')).toMatchObject({ scenario: { status: 503 }, source: 'rule:vip@example.com reason=refresh|challenge' })
    expect(b.choose('vip@example.com', undefined, 'conversation_viewed').scenario.kind).toBe('ok')
  })
})

describe('latency distributions', () => {
  it('parse uniform and lognormal for delay and drip, and refuse bad bounds', () => {
    expect(parseScenario('delay:uniform:100:300')).toMatchObject({ ok: true, scenario: { kind: 'delay', latency: { type: 'uniform', lower: 100, upper: 300 } } })
    expect(parseScenario('delay:lognormal:200:0.5')).toMatchObject({ ok: true, scenario: { latency: { type: 'lognormal', median: 200, sigma: 0.5, cap: 60_000 } } })
    expect(parseScenario('drip:4:lognormal:50:1:400')).toMatchObject({ ok: true, scenario: { kind: 'drip', chunks: 4, latency: { cap: 400 } } })
    for (const name of ['delay:uniform:300:100', 'delay:uniform:1', 'delay:lognormal:200:0', 'delay:lognormal:200:9', 'delay:lognormal:500:1:100', 'delay:normal:1:2', 'drip:4:uniform:0:20000', 'delay:uniform:0:60001']) {
      expect(parseScenario(name), name).toMatchObject({ ok: false, message: expect.stringContaining('uniform:<lower>:<upper>') })
    }
  })

  it('draw each request its delay from the seed: the same seed gives the same delays, another seed others, within bounds', () => {
    const delays = (seed: number, scenario: string) => {
      const b = book({ default: scenario }, seed)
      return Array.from({ length: 400 }, (_, i) => {
        const chosen = b.choose(`u${i % 4}@example.com`, undefined).scenario
        return chosen.kind === 'delay' ? chosen.ms : -1
      })
    }
    const uniform = delays(5, 'delay:uniform:100:300')
    expect(delays(5, 'delay:uniform:100:300')).toEqual(uniform)
    expect(delays(6, 'delay:uniform:100:300')).not.toEqual(uniform)
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(100)
    expect(Math.max(...uniform)).toBeLessThanOrEqual(300)
    expect(new Set(uniform).size).toBeGreaterThan(100)
    const lognormal = delays(5, 'delay:lognormal:200:0.8:1000').sort((a, b) => a - b)
    expect(lognormal[200]).toBeGreaterThan(150)
    expect(lognormal[200]).toBeLessThan(260)
    expect(lognormal.at(-1)).toBeLessThanOrEqual(1000)
    expect(lognormal.filter((ms) => ms === 1000).length).toBeGreaterThan(0)
  })
})
