import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRenderer, render, TemplateEngine } from '../../src/render/index.js'
import type { CustomerConnectionResponse } from '../../src/schema/index.js'
import { readFixture } from '../helpers.js'

const customer = { id: 'c_1', name: 'Kelly Customer', plan: 'Business', tags: ['vip', 'beta'], seats: 42, organization: { id: 'org_1', role: 'admin' }, created: '2023-10-15T12:00:00Z' }
const listOf = (...values: string[]): CustomerConnectionResponse => ({
  version: '2024-03-06',
  customer,
  sections: values.map((value) => ({ type: 'list', title: 'T', items: [{ description: 'd', value }] })),
})
const value = (template: string, strict = false) => {
  const result = render(listOf(template), { strict })
  const section = result.sections[0]
  return { output: section?.type === 'list' ? section.items[0]!.value : undefined, ...result }
}

describe('Liquid sandbox', () => {
  it('supports the standard filters', () => {
    expect(value('{{ data.customer.name | upcase }}').output).toBe('KELLY CUSTOMER')
    expect(value('{{ data.customer.missing | default: "Free" }}')).toMatchObject({ output: 'Free', warnings: [] })
    expect(value('{{ data.customer.created | date: "%Y-%m-%d" }}').output).toBe('2023-10-15')
    expect(value('{{ "<b>" | escape }}').output).toBe('&lt;b&gt;')
    expect(value('{{ data.customer.tags | join: ", " }} ({{ data.customer.tags.size }})').output).toBe('vip, beta (2)')
    expect(value('{% if data.customer.seats > 40 %}big{% else %}small{% endif %}').output).toBe('big')
    expect(value('{{ data.customer.organization.role | capitalize }}').output).toBe('Admin')
  })

  it.each(['include', 'render', 'layout'])('refuses {%% %s %%}: no template or file can be loaded', (tag) => {
    const result = value(`{% ${tag} "package.json" %}`)
    expect(result.sections).toEqual([])
    expect(result.errors).toEqual([
      expect.objectContaining({ section: 0, pointer: '/sections/0/items/0/value', code: 'syntax', message: `tag "${tag}" is not available: templates cannot load other templates or files` }),
    ])
  })

  it.each(['constructor', '__proto__', 'hasOwnProperty', 'toString'])('does not reach prototype property %s', (property) => {
    const result = value(`{{ data.customer.${property} }}{{ data.customer.name.${property} }}{{ data.customer.tags.${property} }}`)
    expect(result.output).toBe('')
    expect(result.warnings.map((w) => w.variable)).toContain(`data.customer.${property}`)
    expect(value(`{{ data.customer.${property} }}`, true).errors[0]).toMatchObject({ code: 'undefined_variable' })
  })

  it('sees data.customer and nothing else', () => {
    for (const name of ['process', 'global', 'globalThis', 'require', 'data.yetto', 'this']) {
      expect(value(`{{ ${name} }}`).output).toBe('')
    }
  })

  it.each([
    ['a 100-million range', '{% for i in (1..100000000) %}{{ i }}{% endfor %}'],
    ['a doubling append chain', '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}'],
    ['nested loops', '{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}'],
    ['a giant repeated string', '{% for i in (1..5000) %}{{ "0123456789" }}{% endfor %}'],
  ])('stops %s with a clear error for that section only', (_name, template) => {
    const result = render(listOf('{{ data.customer.name }}', template, '{{ data.customer.plan }}'))
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toMatchObject({ section: 1, pointer: '/sections/1/items/0/value', code: expect.stringMatching(/^(limit|too_long)$/) })
    expect(result.errors[0]!.message).toMatch(/units of work|longer than \d+ characters/)
    expect(result.sections.map((s) => s.index)).toEqual([0, 2])
  })

  it('has no way to recurse: a self-rendering template fails closed, and deep nesting ends in a result or an error', () => {
    const self = render(listOf('{% render "self" %}{% include "self" %}'))
    expect(self.errors[0]).toMatchObject({ code: 'syntax', message: expect.stringContaining('not available') })
    const depth = 300
    const nested = `${'{% if true %}'.repeat(depth)}deep${'{% endif %}'.repeat(depth)}`
    const engine = new TemplateEngine()
    const outcome = engine.render(nested, {}, { strict: false })
    expect(outcome.ok ? outcome.output : outcome.code).toMatch(/^(deep|limit|syntax|render_failed)$/)
  })

  it('refuses a template longer than the parse limit', () => {
    const engine = new TemplateEngine({ maxTemplateChars: 100 })
    expect(engine.render('x'.repeat(101), {}, { strict: false })).toMatchObject({ ok: false, code: 'limit' })
  })

  it('stops a response whose templates together exceed the response budget', () => {
    const renderer = createRenderer({ responseWorkUnits: 100_000 })
    const busy = '{% for i in (1..200) %}{% for j in (1..20) %}{% endfor %}{% endfor %}'
    const result = renderer.render(listOf(busy, busy, busy, busy))
    expect(result.errors.length).toBeGreaterThan(0)
    expect(result.errors.every((e) => e.code === 'limit' && e.limit === 'response_work')).toBe(true)
    expect(result.errors[0]!.message).toMatch(/templates together do more than 100000 units of work/)
  })

  it('reports a syntax error with pointer and position; other sections still render', () => {
    const result = render(listOf('{{ data.customer.name }}', 'ok {% if %}', '{{ data.customer.plan }}'))
    expect(result.errors).toEqual([expect.objectContaining({ section: 1, pointer: '/sections/1/items/0/value', code: 'syntax', line: 1, column: 9 })])
    expect(result.sections).toHaveLength(2)
  })

  it('renders a missing variable empty with a warning (pointer + name), or fails it in strict mode', () => {
    const lenient = value('Plan: {{ data.customer.plan_type }} / {{ data.customer.region.name }}')
    expect(lenient.output).toBe('Plan:  / ')
    expect(lenient.warnings).toEqual([
      expect.objectContaining({ pointer: '/sections/0/items/0/value', code: 'undefined_variable', variable: 'data.customer.plan_type' }),
      expect.objectContaining({ pointer: '/sections/0/items/0/value', code: 'undefined_variable', variable: 'data.customer.region.name' }),
    ])
    const strict = value('Plan: {{ data.customer.plan_type }}', true)
    expect(strict.sections).toEqual([])
    expect(strict.errors).toEqual([expect.objectContaining({ code: 'undefined_variable', variable: 'data.customer.plan_type', message: 'undefined variable data.customer.plan_type' })])
  })

  it('rejects unknown filters', () => {
    expect(value('{{ data.customer.name | shout }}').errors[0]).toMatchObject({ code: 'syntax', message: 'undefined filter: shout' })
  })

  it('parses each template once and reuses it', () => {
    const renderer = createRenderer()
    const response = listOf('{{ data.customer.name }}', '{{ data.customer.plan }}')
    renderer.render(response)
    const size = renderer.engine.cacheSize
    renderer.render(response)
    renderer.render({ ...response, customer: { ...customer, name: 'Other' } })
    // Plain-text title "T" and description "d" never reach Liquid; the two templates are parsed once.
    expect(size).toBe(2)
    expect(renderer.engine.cacheSize).toBe(2)
  })

  it('skips an unknown section type with a warning, or rejects it in strict mode', () => {
    const response = { version: '2024-03-06', customer, sections: [{ type: 'chart', title: 'x' }] } as unknown as CustomerConnectionResponse
    expect(render(response)).toMatchObject({ sections: [], errors: [], warnings: [{ pointer: '/sections/0/type', code: 'unknown_section_type' }] })
    expect(render(response, { strict: true })).toMatchObject({ sections: [], warnings: [], errors: [{ pointer: '/sections/0/type', code: 'unknown_section_type' }] })
  })
})

describe('the sandbox counts work, so time and memory stay bounded', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('stops one filter chain on a huge array by counting its work (sample + sort_natural on 131k items)', () => {
    const items = Array.from({ length: 131_072 }, (_, i) => `item-${(i * 7919) % 131_072}`)
    const response = { ...listOf('{{ data.customer.items | sample: 131072 | sort_natural | first }}'), customer: { items } }
    const result = render(response)
    expect(result.errors).toEqual([expect.objectContaining({ code: 'limit', limit: 'work', message: expect.stringMatching(/units of work/) })])
  })

  it('counts loop iterations and operators: nested loops without output stop on work, not time', () => {
    // A clock that never moves: only the work count can stop it, however busy the machine is.
    const result = createRenderer({ now: () => 0 }).render(listOf('{% for i in (1..2000) %}{% for j in (1..2000) %}{% if i == j %}{% endif %}{% endfor %}{% endfor %}'))
    expect(result.errors[0]).toMatchObject({ code: 'limit', limit: 'work' })
  })

  it('never fails a valid response because the machine is slow: a clock 200 ms slower per reading changes nothing', () => {
    let fake = performance.now()
    vi.spyOn(performance, 'now').mockImplementation(() => (fake += 200))
    const renderer = createRenderer()
    const response = readFixture('examples/seed-response.json') as CustomerConnectionResponse
    const result = renderer.render(response)
    expect(result.errors).toEqual([])
    expect(result.sections.length).toBe(response.sections.length)
  })

  it('keeps the wall clock as a backstop for heavy templates, and names that limit', () => {
    let fake = 0
    const renderer = createRenderer({ now: () => (fake += 5) })
    const result = renderer.render(listOf('{% for i in (1..5000) %}{% for j in (1..10) %}{% endfor %}{% endfor %}'))
    expect(result.errors[0]).toMatchObject({ code: 'limit', limit: 'time', message: 'the template ran longer than 1000 ms' })
  })

  it('does not keep failing responses in memory: 40 responses with ten 512 KiB date inputs each', () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const renderer = createRenderer()
    gc()
    const before = process.memoryUsage().heapUsed
    const templates = Array.from({ length: 10 }, (_, k) => `{{ data.customer.when${k} | date: "%Y" }}`)
    for (let i = 0; i < 40; i++) {
      const when = Object.fromEntries(templates.map((_, k) => [`when${k}`, `${i}-${k}`.padEnd(512 * 1024, 'x')]))
      renderer.render({ ...listOf(...templates), customer: when })
    }
    gc()
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('checks limits when they are given', () => {
    for (const bad of [Number.NaN, -1, 0, 1.5, '100']) {
      expect(() => createRenderer({ templateWorkUnits: bad as number })).toThrow(expect.objectContaining({ code: 'CKIT_RENDER_INVALID_OPTION' }))
    }
  })
})

describe('engines are independent', () => {
  it('charge a comparison the same however many engines the process has made', () => {
    const charge = () => {
      const engine = new TemplateEngine()
      const budget = engine.budget()
      expect(engine.render('{% if data.a == 1 %}1{% else %}0{% endif %}', { data: { a: 1 } }, { strict: false, budget })).toMatchObject({ ok: true, output: '1' })
      return budget.used
    }
    const first = charge()
    for (let i = 0; i < 200; i++) new TemplateEngine()
    // Each engine used to wrap liquidjs's shared operators once more: 200 engines, 200× the charge.
    expect(charge()).toBe(first)
  })
})
