import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TemplateEngine } from '../../src/render/engine.js'

// Straight-line templates (text and `{{ path | filter: literal }}`) skip liquidjs's generators.
// They must render, fail, warn and charge work exactly as liquidjs does: compared here with an
// engine that sends every template through liquidjs.

const KEYS = ['name', 'plan', 'tags', 'seats', 'org', 'notes', 'missing', 'size', 'first', 'last']
const FILTERS = ['upcase', 'downcase', 'size', 'first', 'last', 'join: ", "', 'default: "n/a"', 'append: "!"', 'truncate: 5', 'plus: 2', 'times: 3', 'split: ","', 'escape', 'url_encode', 'sort', 'uniq', 'reverse', 'date: "%b %d, %Y"', 'json', 'strip_html', 'capitalize']

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 12 }), fc.integer({ min: -50, max: 5000 }), fc.constantFrom(null, true, '2023-10-15T12:00:00Z', 'a,b,c', '<b>x</b>'), fc.array(tie('value'), { maxLength: 4 }), tie('object')),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
}))

const segment = fc.oneof(
  fc.constantFrom(...KEYS).map((key) => `.${key}`),
  fc.constantFrom(...KEYS).map((key) => `["${key}"]`),
  fc.integer({ min: 0, max: 3 }).map((i) => `[${i}]`),
)
const output = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.array(fc.constantFrom(...FILTERS), { maxLength: 3 }), fc.constantFrom('{{', '{{-'), fc.constantFrom('}}', '-}}'))
  .map(([path, filters, open, close]) => `${open} data.customer${path.join('')}${filters.map((f) => ` | ${f}`).join('')} ${close}`)
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(' ', '\n  ', ' a ')).map((t) => t.replace(/[{}%]/g, ''))
const template = fc.array(fc.oneof(output, text), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''))

function renderBoth(source: string, scope: object, strict: boolean, limits: { maxOutputChars: number; templateWorkUnits: number }) {
  const straight = new TemplateEngine(limits)
  const liquid = new TemplateEngine({ ...limits, straightLine: false })
  const budgets = [straight.budget(), liquid.budget()] as const
  const outcomes = [straight.render(source, scope, { strict, budget: budgets[0] }), liquid.render(source, scope, { strict, budget: budgets[1] })]
  return { outcomes, used: budgets.map((b) => b.used) }
}

describe('straight-line templates', () => {
  it('render, fail and charge work exactly as liquidjs does, for any data, path and filters', () => {
    fc.assert(
      fc.property(template, value, fc.boolean(), fc.constantFrom(16, 8192), fc.constantFrom(40, 1_000_000), (source, customer, strict, maxOutputChars, templateWorkUnits) => {
        const { outcomes, used } = renderBoth(source, { data: { customer } }, strict, { maxOutputChars, templateWorkUnits })
        expect(outcomes[0]).toEqual(outcomes[1])
        expect(used[0]).toBe(used[1])
      }),
      { numRuns: Number(process.env['CKIT_FUZZ_RUNS'] ?? 2000) },
    )
  })

  it('render the sidebar examples the same way', () => {
    const scope = { data: { customer: { id: 'cus_1', name: 'Kelly', tags: ['vip', 'beta'], created_at: '2023-10-15T12:00:00Z', organization: { name: 'Acme' } } } }
    for (const source of ['{{ data.customer.name }}', 'Plan {{ data.customer.plan | upcase }}', 'https://x.example/{{ data.customer.id }}', '{{ data.customer.tags | join: ", " }}', '{{ data.customer.created_at | date: "%b %d, %Y" }}', '{{ data.customer.organization.name }} ({{ data.customer.tags.size }})']) {
      const { outcomes, used } = renderBoth(source, scope, false, { maxOutputChars: 8192, templateWorkUnits: 1_000_000 })
      expect(outcomes[0]).toEqual(outcomes[1])
      expect(used[0]).toBe(used[1])
    }
    expect(new TemplateEngine().render('{{ data.customer.tags | join: "+" }}', scope, { strict: false })).toEqual({ ok: true, output: 'vip+beta', missing: [] })
  })
})
