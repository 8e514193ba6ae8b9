import { faker as enFaker } from '@faker-js/faker/locale/en'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CustomerSource, identitySeed } from '../../src/mock/customers.js'
import { customerValidator } from '../../src/mock/data.js'
import { compileGenerator, compilePattern, generatorTools, SeededRandom, type GeneratorTools } from '../../src/mock/generator.js'
import { loadMockData } from '../../src/mock/index.js'

const data = loadMockData()
const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z')

/** A generator's own PRNG and Faker, as `loadGenerator` builds them: two of these share nothing. */
const tools = (): GeneratorTools => generatorTools(enFaker, REFERENCE_DATE)

function compiled(schema: Record<string, unknown>, with_ = tools()) {
  const generator = compileGenerator(schema, with_)
  if (!generator.ok) throw new Error(`expected ${JSON.stringify(schema)} to compile: ${generator.unsupported}`)
  return generator
}

const identity = fc.record({ seed: fc.nat(), email: fc.emailAddress() })

describe('the customer generator compiled from mocks/customer.schema.json', () => {
  it('compiles (no construct of the shipped schema falls back to json-schema-faker)', () => {
    expect(compileGenerator(data.customerSchema, tools())).toMatchObject({ ok: true })
  })

  it('gives customers valid against the schema for 100,000 identities', () => {
    // The validator a user's data folder gets: ajv 2020, strict, with formats and the faker keyword.
    const check = customerValidator(data.customerSchema, 'customer.schema.json')
    const generator = compiled(data.customerSchema)
    fc.assert(
      fc.property(identity, ({ seed, email }) => {
        const customer = generator.generate(identitySeed(seed, email))
        if (!check(customer)) throw new Error(`${email} (seed ${seed}): ${JSON.stringify(check.errors)}\n${JSON.stringify(customer)}`)
      }),
      { numRuns: 100_000 },
    )
  }, 120_000)

  it('gives the same customer for the same (seed, e-mail) from two generator instances', () => {
    const a = compiled(data.customerSchema)
    const b = compiled(data.customerSchema)
    fc.assert(
      fc.property(fc.array(identity, { minLength: 1, maxLength: 5 }), (identities) => {
        // Interleaved draws: a generator's output depends on its seed only, not on what it drew before.
        const first = identities.map(({ seed, email }) => JSON.stringify(a.generate(identitySeed(seed, email))))
        const again = identities.toReversed().map(({ seed, email }) => JSON.stringify(b.generate(identitySeed(seed, email))))
        expect(again.toReversed()).toEqual(first)
      }),
      { numRuns: 2000 },
    )
  })

  it('gives different customers for different seeds and for different e-mails', () => {
    const generator = compiled(data.customerSchema)
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.emailAddress(), (s, t, email) => {
        fc.pre(s !== t)
        expect(generator.generate(identitySeed(s, email))).not.toEqual(generator.generate(identitySeed(t, email)))
      }),
      { numRuns: 5000 },
    )
    const ids = new Set<string>()
    for (let i = 0; i < 2000; i++) ids.add((generator.generate(identitySeed(1, `u${i}@x.example`)) as { stripe_id: string }).stripe_id)
    expect(ids.size).toBe(2000)
  })

  it('draws every enum value, tag counts from none to maxItems, and names from Faker', () => {
    const generator = compiled(data.customerSchema)
    const plans = new Set<unknown>()
    const tagCounts = new Set<number>()
    const names = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const customer = generator.generate(i) as { plan_type: string; tags: string[]; name: string; created_at: string; last_active: string }
      plans.add(customer.plan_type)
      tagCounts.add(customer.tags.length)
      names.add(customer.name)
      // faker date.past / date.recent, relative to 2026-01-01: never in the future of that day.
      expect(Date.parse(customer.created_at)).toBeLessThanOrEqual(REFERENCE_DATE.getTime())
      expect(Date.parse(customer.last_active)).toBeLessThanOrEqual(REFERENCE_DATE.getTime())
      expect(customer.name).toMatch(/^\S+.* \S+/)
    }
    expect(plans).toEqual(new Set(['Free', 'Starter', 'Business', 'Enterprise']))
    expect(tagCounts).toEqual(new Set([0, 1, 2, 3]))
    expect(names.size).toBeGreaterThan(450)
  })
})

/** Every construct the compiler handles, in one schema a user could write. */
const RICH_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['ref', 'code'],
  additionalProperties: false,
  $defs: { money: { type: 'object', required: ['cents', 'currency'], properties: { cents: { type: 'integer', minimum: 0, multipleOf: 5 }, currency: { enum: ['EUR', 'USD'] } } } },
  properties: {
    ref: { $ref: '#/$defs/money', description: 'annotations beside a $ref are fine' },
    again: { $ref: '#/$defs/money' },
    code: { type: 'string', pattern: '^(?:ab|c[d-f]{2,4})-\\d{3}[A-Z_]?x*\\.(?<tail>[^\\s\\\\]+)$' },
    alternatives: { type: 'string', pattern: 'left|right|\\u00e9t\\u00e9|\\x41' },
    optional: { type: 'string', pattern: '^a?b+c{2,}$' },
    plain: { type: 'string', minLength: 3, maxLength: 5 },
    uuid: { type: 'string', format: 'uuid' },
    email: { type: 'string', format: 'email' },
    when: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    time: { type: 'string', format: 'time' },
    site: { type: 'string', format: 'uri' },
    host: { type: 'string', format: 'hostname' },
    v4: { type: 'string', format: 'ipv4' },
    v6: { type: 'string', format: 'ipv6' },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    negative: { type: 'integer', maximum: -5000 },
    between: { type: 'integer', exclusiveMinimum: 10, maximum: 12 },
    either: { type: ['string', 'null', 'boolean'], maxLength: 2 },
    constant: { const: { nested: [1, 2] } },
    choice: { enum: [{ a: 1 }, 'b', null] },
    matrix: { type: 'array', minItems: 1, maxItems: 4, items: { type: 'array', maxItems: 2, items: { type: 'integer', minimum: 1, maximum: 3 } } },
    unique: { type: 'array', uniqueItems: true, minItems: 2, maxItems: 4, items: { type: 'string', pattern: '^[a-z]{2}$' } },
    hinted: { type: 'string', faker: 'person.firstName' },
    hintedNumber: { type: 'integer', faker: 'number.float' },
    unknownHint: { type: 'string', faker: 'person.noSuchMethod', pattern: '^n[0-9]$' },
    throwingHint: { type: 'integer', faker: 'helpers.arrayElement', minimum: 7, maximum: 7 },
    empty: { type: 'object' },
  },
}

describe('the compiler on every construct it handles', () => {
  it('gives values valid against the schema (ajv 2020, strict, formats), deterministic per seed', () => {
    const check = customerValidator(RICH_SCHEMA, 'rich.schema.json')
    const a = compiled(RICH_SCHEMA)
    const b = compiled(RICH_SCHEMA)
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const value = a.generate(seed)
        if (!check(value)) throw new Error(`seed ${seed}: ${JSON.stringify(check.errors)}\n${JSON.stringify(value)}`)
        expect(b.generate(seed)).toEqual(value)
      }),
      { numRuns: 5000 },
    )
  })

  it('follows the hints as json-schema-faker does: converted to the type, ignored when unknown, the schema when they throw', () => {
    const a = compiled(RICH_SCHEMA)
    const seen = { firstNames: new Set<string>(), unknown: new Set<string>() }
    for (let seed = 0; seed < 200; seed++) {
      const value = a.generate(seed) as Record<string, unknown>
      seen.firstNames.add(value['hinted'] as string)
      seen.unknown.add(value['unknownHint'] as string)
      expect(Number.isInteger(value['hintedNumber'])).toBe(true)
      expect(value['throwingHint']).toBe(7)
      expect(value['empty']).toEqual({})
    }
    expect([...seen.firstNames].every((name) => /^[A-Z][a-z'-]+/.test(name))).toBe(true)
    expect(seen.firstNames.size).toBeGreaterThan(100)
    expect([...seen.unknown].every((text) => /^n[0-9]$/.test(text))).toBe(true)
  })

  it('says which schema and where when uniqueItems asks for more different items than it can draw', () => {
    const generator = compiled({ type: 'array', uniqueItems: true, minItems: 3, items: { enum: ['a', 'b'] } })
    expect(() => generator.generate(1)).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/^customer\.schema\.json: could not draw 3 different items \(uniqueItems\) in \d+ tries/) }))
    expect(compiled({ type: 'array', uniqueItems: true, minItems: 2, maxItems: 2, items: { enum: ['a', 'b'] } }).generate(1)).toHaveLength(2)
  })

  it('gives a property named __proto__ as data, not as the prototype', () => {
    const value = compiled(JSON.parse('{"type": "object", "properties": {"__proto__": {"const": {"polluted": true}}, "b": {"const": 1}}}') as Record<string, unknown>).generate(1) as Record<string, unknown>
    expect(JSON.stringify(value)).toBe('{"__proto__":{"polluted":true},"b":1}')
    expect((value as { polluted?: boolean }).polluted).toBeUndefined()
  })

  it('copies constants, so a caller that changes one customer does not change the next', () => {
    const generator = compiled({ type: 'object', properties: { list: { const: [1] }, pick: { enum: [{ a: 1 }] } } })
    const first = generator.generate(1) as { list: number[]; pick: { a: number } }
    first.list.push(2)
    first.pick.a = 2
    expect(generator.generate(1)).toEqual({ list: [1], pick: { a: 1 } })
  })
})

describe('patterns', () => {
  const patterns = [
    '^customer_[1-9][0-9]{5}$',
    '^cus_[A-Za-z0-9]{14}$',
    '[a-c]+@(x|yz)\\.example',
    '^\\w{3}\\s\\d\\D\\W\\S$',
    '^[^a-z]{4}$',
    '^.{2,3}$',
    '^(a|b(c|d)*)?e{0,}$',
    '^[-+]?[0-9]*\\.?[0-9]+$',
    '^\\$\\^\\(\\)\\[\\]\\{\\}\\|\\?\\*\\+\\/$',
    '^[\\]\\-\\\\]{3}$',
    '^x$|^y$',
    '^[é-ë😀]{2}$',
  ]
  it.each(patterns)('%s: every draw matches it', (pattern) => {
    const random = new SeededRandom()
    const draw = compilePattern(pattern, random)
    const regex = new RegExp(pattern, 'u')
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        random.seed(seed)
        const text = draw()
        expect(text).toMatch(regex)
      }),
      { numRuns: 2000 },
    )
  })

  it.each([
    ['(?=a)b', 'a look-around'],
    ['(a)\\1', '"\\1"'],
    ['\\bword', '"\\b"'],
    ['\\p{L}', '"\\p"'],
    ['a^b', '"^" not at the start'],
    ['a$b', '"$" not at the end'],
    ['(a', 'an unclosed "("'],
    ['[ab', 'an unclosed "["'],
    ['a{2,1}', 'a quantifier out of order'],
    ['a**', 'a quantifier after a quantifier'],
    ['[\\d-z]', 'a range between classes'],
  ])('%s is unsupported: %s', (pattern, reason) => {
    expect(compileGenerator({ type: 'string', pattern }, tools())).toEqual({ ok: false, unsupported: `/pattern: ${reason} in the pattern ${JSON.stringify(pattern)}` })
  })
})

describe('schemas the compiler does not handle', () => {
  it.each([
    [{ type: 'object', properties: { a: { oneOf: [{ type: 'string' }, { type: 'integer' }] } } }, '/properties/a/oneOf: the keyword "oneOf"'],
    [{ type: 'object', properties: { a: true } }, '/properties/a: a schema that is not an object (true, false or a list)'],
    [{ type: 'object', properties: { a: {} } }, '/properties/a: a schema without a type (any value)'],
    [{ type: 'object', required: ['a'] }, '/required: the required property "a", not in properties'],
    [{ type: 'string', format: 'duration' }, '/format: the format "duration"'],
    [{ type: 'string', format: 'email', maxLength: 10 }, ': "format" beside "minLength/maxLength"'],
    [{ type: 'number', multipleOf: 0.1 }, '/multipleOf: a multipleOf that is not a positive whole number'],
    [{ type: 'integer', minimum: 1.2, maximum: 1.8 }, ': a range with no integer in it (or beyond ±2^53)'],
    [{ enum: [1, 2], minimum: 2 }, ': "enum" beside "minimum"'],
    [{ $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }, '/$defs/a/$ref: a recursive reference'],
    [{ $ref: 'https://example.com/other.json' }, '/$ref: a reference other than #/$defs/<name>'],
    [{ type: 'string', faker: { 'number.int': [{ max: 5 }] } }, '/faker: a hint with arguments'],
  ])('%j: %s', (schema, reason) => {
    expect(compileGenerator(schema, tools())).toEqual({ ok: false, unsupported: reason })
  })

  it('are generated by json-schema-faker instead: valid, and the same per (seed, e-mail)', async () => {
    const customerSchema = {
      type: 'object',
      required: ['id', 'contact'],
      properties: { id: { type: 'string', pattern: '^c_[0-9]{4}$' }, email: { type: 'string', format: 'email' }, contact: { oneOf: [{ type: 'string', faker: 'person.fullName' }, { type: 'integer', minimum: 1 }] } },
    }
    expect(compileGenerator(customerSchema, tools())).toMatchObject({ ok: false })
    const check = customerValidator(customerSchema, 'customer.schema.json')
    const source = () => new CustomerSource({ ...data, customerSchema }, { seed: 3, cacheEntries: 10, cacheBytes: 1 << 20 })
    const [a, b] = [source(), source()]
    for (let i = 0; i < 50; i++) {
      const { customer } = await a.customerFor(`person.${i}@x.example`)
      expect(check(customer), JSON.stringify(check.errors)).toBe(true)
      expect(customer['email']).toBe(`person.${i}@x.example`)
      expect((await b.customerFor(`person.${i}@x.example`)).customer).toEqual(customer)
    }
  })
})
