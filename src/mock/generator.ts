import type { Faker, Randomizer } from '@faker-js/faker'
import { CkitError } from '../errors.js'

/**
 * A customer generator compiled once from a JSON Schema, the way ajv compiles validators: the
 * schema becomes a tree of closures that draw from one small seeded PRNG, which Faker shares for
 * the `faker` hints. Seeding it per identity is one assignment, where json-schema-faker walks the
 * schema with generators and context copies on every draw and Faker's Mersenne Twister refills 624
 * words on every seed. A schema that uses anything this compiler does not know is reported as
 * unsupported, and the caller generates with json-schema-faker instead (docs/mock.md).
 */

/**
 * splitmix32: seeding is O(1) and the 32-bit output function is a bijection of the state, so two
 * seeds never start with the same draw. Faker uses it through the `Randomizer` interface.
 */
export class SeededRandom implements Randomizer {
  #state = 0

  // Arrow functions: Faker calls `next` and `seed` detached from the object.
  readonly seed = (seed: number | number[]): void => {
    // Faker may pass several numbers; fold them so each one changes the stream.
    this.#state = Array.isArray(seed) ? seed.reduce((acc: number, n) => Math.imul(acc ^ n, 0x9e3779b1), 0) | 0 : seed | 0
  }

  readonly next = (): number => {
    this.#state = (this.#state + 0x9e3779b9) | 0
    let z = this.#state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296
  }

  /** A whole number from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)]!
  }
}

/**
 * A Faker of `template`'s locales that draws from a new SeededRandom, dates relative to `refDate`.
 * Built from an instance because `@faker-js/faker/locale/en` exports only that: the package root
 * builds a Faker for each of its ~70 locales on import (~30 MB of memory, ~0.7 s).
 */
export function generatorTools(template: Faker, refDate: Date): GeneratorTools {
  const random = new SeededRandom()
  const FakerClass = template.constructor as typeof Faker
  const faker = new FakerClass({ locale: template.rawDefinitions, randomizer: random })
  faker.setDefaultRefDate(refDate)
  return { faker, random }
}

/** Draws one value of a (sub)schema from the shared PRNG. */
type Draw = () => unknown

/** The tools a compiled generator draws with: Faker must have been built with `random` as its randomizer. */
export interface GeneratorTools {
  readonly faker: Faker
  readonly random: SeededRandom
}

export type CompiledGenerator = { readonly ok: true; generate(seed: number): unknown } | { readonly ok: false; readonly unsupported: string }

/** Thrown inside the compiler only, to give up on a schema; `compileGenerator` turns it into a result. */
class Unsupported {
  constructor(readonly reason: string) {}
}

/** Keywords that say nothing about the value generated. */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'default', 'readOnly', 'writeOnly', 'deprecated', '$defs', 'definitions'])
const HANDLED = new Set([
  ...ANNOTATIONS,
  ...['$ref', 'faker', 'const', 'enum', 'type'],
  ...['format', 'pattern', 'minLength', 'maxLength'],
  ...['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  ...['properties', 'required', 'additionalProperties'],
  ...['items', 'minItems', 'maxItems', 'uniqueItems'],
])
const TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const
type TypeName = (typeof TYPES)[number]

const ALPHANUMERIC = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789']
/** What `.` and negated classes draw from: printable ASCII, so a generated value is readable. */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
/** Unbounded quantifiers (`*`, `+`, `{n,}`) repeat at most this many times more than their minimum, like json-schema-faker. */
const UNBOUNDED_EXTRA = 5
/** Arrays without maxItems get at most this many items (json-schema-faker's default too). */
const DEFAULT_MAX_ITEMS = 3
/** Draws tried for each missing item of a `uniqueItems` array before giving up. */
const UNIQUE_ATTEMPTS = 50

type Schema = Record<string, unknown>

/** The keywords of a schema, other than `allowed` and annotations: what could constrain its value. */
const keywordsBeside = (schema: Schema, ...allowed: string[]) => Object.keys(schema).filter((key) => !allowed.includes(key) && !ANNOTATIONS.has(key))

const pointerOf = (base: string, ...tokens: (string | number)[]) => base + tokens.map((t) => `/${String(t).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')

/**
 * Compiles `schema` into a generator, or says which construct it does not handle (the caller then
 * uses json-schema-faker). Output, given a seed, depends only on the seed and the schema.
 */
export function compileGenerator(schema: unknown, tools: GeneratorTools): CompiledGenerator {
  try {
    const draw = new Compiler(schema, tools).compile(schema, '', [])
    const { random } = tools
    return {
      ok: true,
      generate(seed: number) {
        random.seed(seed)
        return draw()
      },
    }
  } catch (error) {
    if (error instanceof Unsupported) return { ok: false, unsupported: error.reason }
    throw error
  }
}

class Compiler {
  readonly #compiledRefs = new Map<string, Draw>()

  constructor(
    readonly root: unknown,
    readonly tools: GeneratorTools,
  ) {}

  compile(node: unknown, pointer: string, refStack: readonly string[]): Draw {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) throw new Unsupported(`${pointer || '/'}: a schema that is not an object (true, false or a list)`)
    const schema = node as Schema
    for (const key of Object.keys(schema)) if (!HANDLED.has(key)) throw new Unsupported(`${pointerOf(pointer, key)}: the keyword "${key}"`)
    const base = this.#compileBase(schema, pointer, refStack)
    const hint = this.#hint(schema, pointer)
    if (!hint) return base
    // As json-schema-faker does: a hint that throws falls back to the schema's own generation.
    return () => {
      try {
        return hint()
      } catch {
        return base()
      }
    }
  }

  #compileBase(schema: Schema, pointer: string, refStack: readonly string[]): Draw {
    if (schema['$ref'] !== undefined) return this.#ref(schema, pointer, refStack)
    if (schema['const'] !== undefined) return constant(schema['const'])
    if (schema['enum'] !== undefined) return this.#enum(schema, pointer)
    const types = this.#types(schema, pointer)
    const draws = types.map((type) => this.#compileType(type, schema, pointer, refStack))
    if (draws.length === 1) return draws[0]!
    const { random } = this.tools
    return () => random.pick(draws)()
  }

  #ref(schema: Schema, pointer: string, refStack: readonly string[]): Draw {
    const ref = schema['$ref']
    const siblings = keywordsBeside(schema, '$ref', 'faker')
    if (siblings.length > 0) throw new Unsupported(`${pointer}: "$ref" beside "${siblings[0]}"`)
    const match = typeof ref === 'string' ? /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref) : null
    if (!match) throw new Unsupported(`${pointerOf(pointer, '$ref')}: a reference other than #/$defs/<name>`)
    if (refStack.includes(ref as string)) throw new Unsupported(`${pointerOf(pointer, '$ref')}: a recursive reference`)
    const compiled = this.#compiledRefs.get(ref as string)
    if (compiled) return compiled
    const name = match[2]!.replaceAll('~1', '/').replaceAll('~0', '~')
    const target = ((this.root as Schema)[match[1]!] as Schema | undefined)?.[name]
    if (target === undefined) throw new Unsupported(`${pointerOf(pointer, '$ref')}: ${ref as string} does not exist`)
    const draw = this.compile(target, `/${match[1]}/${match[2]}`, [...refStack, ref as string])
    this.#compiledRefs.set(ref as string, draw)
    return draw
  }

  #enum(schema: Schema, pointer: string): Draw {
    const values = schema['enum']
    if (!Array.isArray(values) || values.length === 0) throw new Unsupported(`${pointerOf(pointer, 'enum')}: an enum that is not a non-empty array`)
    // Other keywords beside an enum could rule some of its values out; json-schema-faker filters them.
    const constraining = keywordsBeside(schema, 'enum', 'type', 'faker')
    if (constraining.length > 0) throw new Unsupported(`${pointer}: "enum" beside "${constraining[0]}"`)
    const draws = values.map(constant)
    const { random } = this.tools
    return () => random.pick(draws)()
  }

  /** The types a schema allows, inferred from its keywords as json-schema-faker does when `type` is absent. */
  #types(schema: Schema, pointer: string): TypeName[] {
    const declared = schema['type']
    if (declared !== undefined) {
      const list = Array.isArray(declared) ? declared : [declared]
      for (const type of list) if (!TYPES.includes(type as TypeName)) throw new Unsupported(`${pointerOf(pointer, 'type')}: the type ${JSON.stringify(type)}`)
      if (list.length === 0) throw new Unsupported(`${pointerOf(pointer, 'type')}: an empty list of types`)
      return list as TypeName[]
    }
    const has = (...keys: string[]) => keys.some((key) => schema[key] !== undefined)
    if (has('properties', 'required', 'additionalProperties')) return ['object']
    if (has('items', 'minItems', 'maxItems', 'uniqueItems')) return ['array']
    if (has('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf')) return ['number']
    if (has('minLength', 'maxLength', 'pattern', 'format', 'faker')) return ['string']
    throw new Unsupported(`${pointer || '/'}: a schema without a type (any value)`)
  }

  #compileType(type: TypeName, schema: Schema, pointer: string, refStack: readonly string[]): Draw {
    const { random } = this.tools
    switch (type) {
      case 'null':
        return () => null
      case 'boolean':
        return () => random.next() < 0.5
      case 'integer':
      case 'number':
        return this.#number(type, schema, pointer)
      case 'string':
        return this.#string(schema, pointer)
      case 'object':
        return this.#object(schema, pointer, refStack)
      case 'array':
        return this.#array(schema, pointer, refStack)
    }
  }

  #number(type: 'integer' | 'number', schema: Schema, pointer: string): Draw {
    const { random } = this.tools
    const bound = (key: string): number | undefined => {
      const value = schema[key]
      if (value === undefined) return undefined
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Unsupported(`${pointerOf(pointer, key)}: a bound that is not a number`)
      return value
    }
    const [minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf] = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].map(bound)
    // An open side is closed 1,000 away (json-schema-faker's -1000…1000 when both are open).
    let low = Math.max(minimum ?? -Infinity, exclusiveMinimum ?? -Infinity)
    let high = Math.min(maximum ?? Infinity, exclusiveMaximum ?? Infinity)
    if (low === -Infinity) low = Math.min(-1000, high - 1000)
    if (high === Infinity) high = Math.max(1000, low + 1000)
    const lowOpen = exclusiveMinimum !== undefined && exclusiveMinimum >= (minimum ?? -Infinity)
    const highOpen = exclusiveMaximum !== undefined && exclusiveMaximum <= (maximum ?? Infinity)
    const step = multipleOf ?? (type === 'integer' ? 1 : undefined)
    if (step !== undefined) {
      // Multiples of a fraction are inexact in binary: 0.3 is not 3 × 0.1 to a validator.
      if (!Number.isInteger(step) || step <= 0) throw new Unsupported(`${pointerOf(pointer, 'multipleOf')}: a multipleOf that is not a positive whole number`)
      let first = Math.ceil(low / step)
      let last = Math.floor(high / step)
      if (lowOpen && first * step === low) first++
      if (highOpen && last * step === high) last--
      if (first > last || !Number.isSafeInteger(first * step) || !Number.isSafeInteger(last * step)) throw new Unsupported(`${pointer}: a range with no ${type} in it (or beyond ±2^53)`)
      return () => random.int(first, last) * step
    }
    if (!(low < high) && !(low === high && !lowOpen && !highOpen)) throw new Unsupported(`${pointer}: an empty range`)
    return () => {
      const value = low + random.next() * (high - low)
      return (lowOpen && value === low) || (highOpen && value === high) ? (low + high) / 2 : value
    }
  }

  #string(schema: Schema, pointer: string): Draw {
    const { format, pattern, minLength, maxLength } = schema
    const lengths = minLength !== undefined || maxLength !== undefined
    if (format !== undefined) {
      // A format's values have their own lengths; cutting them to fit would break the format.
      if (pattern !== undefined || lengths) throw new Unsupported(`${pointer}: "format" beside "${pattern !== undefined ? 'pattern' : 'minLength/maxLength'}"`)
      return this.#format(format, pointer)
    }
    if (pattern !== undefined) {
      if (lengths) throw new Unsupported(`${pointer}: "pattern" beside "minLength/maxLength"`)
      if (typeof pattern !== 'string') throw new Unsupported(`${pointerOf(pointer, 'pattern')}: a pattern that is not a string`)
      return compilePattern(pattern, this.tools.random, pointerOf(pointer, 'pattern'))
    }
    const min = minLength ?? 0
    const max = maxLength ?? Math.max((min as number) + 10, 10)
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (min as number) < 0 || (max as number) < (min as number)) throw new Unsupported(`${pointer}: string lengths that allow no string`)
    const { random } = this.tools
    return () => {
      let text = ''
      for (let i = random.int(min as number, max as number); i > 0; i--) text += random.pick(ALPHANUMERIC)
      return text
    }
  }

  #format(format: unknown, pointer: string): Draw {
    const { faker } = this.tools
    switch (format) {
      case 'date-time':
        return () => isoSeconds(faker.date.anytime())
      case 'date':
        return () => isoSeconds(faker.date.anytime()).slice(0, 10)
      case 'time':
        return () => `${isoSeconds(faker.date.anytime()).slice(11, 19)}Z`
      case 'email':
        return () => faker.internet.email().toLowerCase()
      case 'hostname':
        return () => faker.internet.domainName()
      case 'uri':
        return () => faker.internet.url()
      case 'uuid':
        return () => faker.string.uuid()
      case 'ipv4':
        return () => faker.internet.ipv4()
      case 'ipv6':
        return () => faker.internet.ipv6()
      default:
        throw new Unsupported(`${pointerOf(pointer, 'format')}: the format ${JSON.stringify(format)}`)
    }
  }

  #object(schema: Schema, pointer: string, refStack: readonly string[]): Draw {
    const properties = (schema['properties'] ?? {}) as Schema
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) throw new Unsupported(`${pointerOf(pointer, 'properties')}: properties that are not an object`)
    const required = schema['required'] ?? []
    if (!Array.isArray(required)) throw new Unsupported(`${pointerOf(pointer, 'required')}: required that is not a list`)
    const undeclared = required.find((name) => !Object.hasOwn(properties, name as string))
    if (undeclared !== undefined) throw new Unsupported(`${pointerOf(pointer, 'required')}: the required property ${JSON.stringify(undeclared)}, not in properties`)
    // Every declared property, optional ones too (json-schema-faker's alwaysFakeOptionals), in order.
    const entries = Object.entries(properties).map(([name, property]) => [name, this.compile(property, pointerOf(pointer, 'properties', name), refStack)] as const)
    // A property named __proto__ would set the object's prototype by assignment: define it instead.
    if (entries.some(([name]) => name === '__proto__')) {
      return () => {
        const out: Record<string, unknown> = {}
        for (const [name, draw] of entries) Object.defineProperty(out, name, { value: draw(), enumerable: true, writable: true, configurable: true })
        return out
      }
    }
    return () => {
      const out: Record<string, unknown> = {}
      for (const [name, draw] of entries) out[name] = draw()
      return out
    }
  }

  #array(schema: Schema, pointer: string, refStack: readonly string[]): Draw {
    const min = schema['minItems'] ?? 0
    const max = schema['maxItems'] ?? Math.max(min as number, DEFAULT_MAX_ITEMS)
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (min as number) < 0 || (max as number) < (min as number)) throw new Unsupported(`${pointer}: item counts that allow no array`)
    if (schema['items'] === undefined && (max as number) > 0) throw new Unsupported(`${pointer}: an array without "items" (any values)`)
    const item = (max as number) > 0 ? this.compile(schema['items'], pointerOf(pointer, 'items'), refStack) : () => undefined
    const { random } = this.tools
    if (schema['uniqueItems'] !== true) {
      return () => {
        const out: unknown[] = []
        for (let n = random.int(min as number, max as number); n > 0; n--) out.push(item())
        return out
      }
    }
    return () => {
      const count = random.int(min as number, max as number)
      const out: unknown[] = []
      const seen = new Set<unknown>()
      for (let attempts = count * UNIQUE_ATTEMPTS; out.length < count && attempts > 0; attempts--) {
        const value = item()
        const key = value !== null && typeof value === 'object' ? JSON.stringify(value) : value
        if (seen.has(key)) continue
        seen.add(key)
        out.push(value)
      }
      if (out.length < (min as number)) throw new CkitError('CKIT_MOCK_INVALID_DATA', `customer.schema.json${pointer}: could not draw ${String(min)} different items (uniqueItems) in ${count * UNIQUE_ATTEMPTS} tries: allow more distinct values or fewer items`)
      return out
    }
  }

  /** A `faker: "module.method"` hint as json-schema-faker reads it; undefined when it names no Faker method (ignored, as there). */
  #hint(schema: Schema, pointer: string): Draw | undefined {
    const name = schema['faker']
    if (name === undefined) return undefined
    if (typeof name !== 'string') throw new Unsupported(`${pointerOf(pointer, 'faker')}: a hint with arguments`)
    let owner: unknown
    let method: unknown = this.tools.faker
    for (const part of name.split('.')) {
      owner = method
      method = owner !== null && typeof owner === 'object' && Object.hasOwn(owner, part) ? (owner as Record<string, unknown>)[part] : undefined
    }
    if (typeof method !== 'function') return undefined
    const call = (method as () => unknown).bind(owner)
    const declared = schema['type']
    const type = (Array.isArray(declared) ? declared[0] : declared) as TypeName | undefined
    const format = schema['format']
    return () => coerceHint(call(), type, format)
  }
}

/** json-schema-faker's conversion of a hint's value to the declared type (and a date to its format). */
function coerceHint(value: unknown, type: TypeName | undefined, format: unknown): unknown {
  switch (type) {
    case undefined:
      return value
    case 'string': {
      const date = value instanceof Date ? value : format === 'date-time' || format === 'date' ? new Date(String(value)) : undefined
      if (date && !Number.isNaN(date.getTime()) && (format === 'date-time' || format === 'date')) return format === 'date' ? isoSeconds(date).slice(0, 10) : isoSeconds(date)
      return value === null ? 'null' : String(value)
    }
    case 'integer':
      return Math.floor(Number(value))
    case 'number':
      return Number(value)
    case 'boolean':
      return Boolean(value)
    case 'null':
      return null
    default:
      return value
  }
}

/** ISO 8601 in UTC to the second, as json-schema-faker wrote hinted dates (`….000Z`). */
function isoSeconds(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString()
}

function constant(value: unknown): Draw {
  if (value === null || typeof value !== 'object') return () => value
  // Each draw gets its own copy: callers may change what they are given (the e-mail is set afterwards).
  const text = JSON.stringify(value)
  return () => JSON.parse(text) as unknown
}

// ---- patterns -------------------------------------------------------------------------------

/** A regular expression as a sequence of alternatives of terms, each term a set of characters or a group, repeated. */
type Atom = { readonly kind: 'chars'; readonly chars: readonly string[] } | { readonly kind: 'group'; readonly alternatives: Term[][] }
type Term = Atom & { readonly min: number; readonly max: number }

const CLASS_ESCAPES: Record<string, readonly string[]> = {
  d: [...'0123456789'],
  w: [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'],
  s: [' ', '\t', '\n', '\r', '\f', '\v'],
}
const CONTROL_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', 0: '\0' }

/**
 * Compiles the subset of ECMAScript patterns that schemas use for ids and codes — literals,
 * classes with ranges, `\d \w \s`, `.`, groups, alternation, quantifiers, `^`/`$` at the ends —
 * into a draw. Anything else (look-arounds, back-references, `\b`, Unicode properties) is unsupported.
 */
export function compilePattern(pattern: string, random: SeededRandom, pointer = ''): () => string {
  const chars = Array.from(pattern)
  let pos = 0
  const fail = (what: string): never => {
    throw new Unsupported(`${pointer}: ${what} in the pattern ${JSON.stringify(pattern)}`)
  }

  const alternatives = (depth: number): Term[][] => {
    const out: Term[][] = [[]]
    while (pos < chars.length) {
      const c = chars[pos]!
      if (c === ')') {
        if (depth === 0) fail('an unmatched ")"')
        return out
      }
      pos++
      if (c === '|') out.push([])
      else if (c === '^') {
        if (depth > 0 || out.at(-1)!.length > 0) fail('"^" not at the start')
      } else if (c === '$') {
        if (depth > 0 || (pos < chars.length && chars[pos] !== '|')) fail('"$" not at the end')
      } else out.at(-1)!.push(quantified(atom(c, depth)))
    }
    if (depth > 0) fail('an unclosed "("')
    return out
  }

  const atom = (c: string, depth: number): Atom => {
    if (c === '(') {
      if (chars[pos] === '?') {
        if (chars[pos + 1] === ':') pos += 2
        else if (chars[pos + 1] === '<' && chars[pos + 2] !== '=' && chars[pos + 2] !== '!') {
          while (pos < chars.length && chars[pos] !== '>') pos++
          pos++
        } else fail('a look-around')
      }
      const inner = alternatives(depth + 1)
      pos++ // the ")"
      return { kind: 'group', alternatives: inner }
    }
    if (c === '[') return { kind: 'chars', chars: characterClass() }
    if (c === '.') return { kind: 'chars', chars: PRINTABLE }
    if (c === '\\') return { kind: 'chars', chars: escape(false) }
    if ('*+?{}]'.includes(c)) fail(`a misplaced "${c}"`)
    return { kind: 'chars', chars: [c] }
  }

  const escape = (inClass: boolean): readonly string[] => {
    const c = chars[pos++]
    if (c === undefined) return fail('a trailing "\\"')
    if (CLASS_ESCAPES[c]) return CLASS_ESCAPES[c]
    const upper = c.toLowerCase()
    if (c !== upper && CLASS_ESCAPES[upper]) {
      const excluded = new Set(CLASS_ESCAPES[upper])
      if (inClass) fail(`"\\${c}" inside a class`)
      return PRINTABLE.filter((p) => !excluded.has(p))
    }
    if (CONTROL_ESCAPES[c] !== undefined && !(c === '0' && /[0-9]/.test(chars[pos] ?? ''))) return [CONTROL_ESCAPES[c]]
    if (c === 'u' || c === 'x') {
      const digits = c === 'x' ? 2 : 4
      const hex = chars.slice(pos, pos + digits).join('')
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) fail(`"\\${c}" without ${digits} hex digits`)
      pos += digits
      return [String.fromCharCode(parseInt(hex, 16))]
    }
    // Escaped punctuation stands for itself; escaped letters and digits are features we do not draw.
    if (/[A-Za-z0-9]/.test(c)) fail(`"\\${c}"`)
    return [c]
  }

  const characterClass = (): readonly string[] => {
    const negated = chars[pos] === '^'
    if (negated) pos++
    const set: string[] = []
    while (pos < chars.length && chars[pos] !== ']') {
      let from: readonly string[]
      const c = chars[pos++]!
      if (c === '[') fail('a "[" inside a class')
      from = c === '\\' ? escape(true) : [c]
      if (chars[pos] === '-' && chars[pos + 1] !== ']' && chars[pos + 1] !== undefined) {
        pos++
        const d = chars[pos++]!
        const to = d === '\\' ? escape(true) : [d]
        if (from.length !== 1 || to.length !== 1) fail('a range between classes')
        const start = from[0]!.codePointAt(0)!
        const end = to[0]!.codePointAt(0)!
        if (end < start) fail('a range out of order')
        from = Array.from({ length: end - start + 1 }, (_, i) => String.fromCodePoint(start + i))
      }
      set.push(...from)
    }
    if (chars[pos] !== ']') fail('an unclosed "["')
    pos++
    const unique = [...new Set(set)]
    if (!negated) {
      if (unique.length === 0) fail('an empty class')
      return unique
    }
    const excluded = new Set(unique)
    const rest = PRINTABLE.filter((p) => !excluded.has(p))
    if (rest.length === 0) fail('a negated class that excludes every printable character')
    return rest
  }

  const quantified = (term: Atom): Term => {
    let min = 1
    let max = 1
    const c = chars[pos]
    if (c === '*' || c === '+' || c === '?') {
      pos++
      min = c === '+' ? 1 : 0
      max = c === '?' ? 1 : min + UNBOUNDED_EXTRA
    } else if (c === '{') {
      const match = /^\{(\d+)(?:(,)(\d*))?\}/.exec(chars.slice(pos).join(''))
      if (!match) return fail('a "{" that is not a quantifier')
      pos += match[0].length
      min = Number(match[1])
      max = match[2] === undefined ? min : match[3] === '' ? min + UNBOUNDED_EXTRA : Number(match[3])
      if (max < min) fail('a quantifier out of order')
    } else return { ...term, min, max }
    if (chars[pos] === '?') pos++ // lazy: matches the same strings
    if (pos < chars.length && '*+?{'.includes(chars[pos]!)) fail('a quantifier after a quantifier')
    return { ...term, min, max }
  }

  const tree = alternatives(0)
  return drawAlternatives(tree, random)
}

function drawAlternatives(alternatives: Term[][], random: SeededRandom): () => string {
  const sequences = alternatives.map((terms) => {
    const draws = terms.map((term) => drawTerm(term, random))
    return () => {
      let text = ''
      for (const draw of draws) text += draw()
      return text
    }
  })
  if (sequences.length === 1) return sequences[0]!
  return () => random.pick(sequences)()
}

function drawTerm(term: Term, random: SeededRandom): () => string {
  const once = term.kind === 'chars' ? (term.chars.length === 1 ? () => term.chars[0]! : () => random.pick(term.chars)) : drawAlternatives(term.alternatives, random)
  const { min, max } = term
  if (min === 1 && max === 1) return once
  return () => {
    let text = ''
    for (let n = min === max ? min : random.int(min, max); n > 0; n--) text += once()
    return text
  }
}
