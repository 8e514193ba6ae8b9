import { readdirSync, readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { eventCatalogue, getRegistry, KINDS, SCHEMA_BASE_ID, SCHEMA_DIR, validate, type Kind } from '../../src/schema/index.js'
// @ts-expect-error plain ESM script without type declarations
import { generateTypes } from '../../scripts/gen-types.mjs'
// @ts-expect-error plain ESM script without type declarations
import { generateValidators } from '../../scripts/gen-validators.mjs'

const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as Record<string, unknown>

/** Every property schema, with its pointer, so each can be checked for documentation. */
function* properties(node: unknown, pointer: string): Generator<[string, Record<string, unknown>]> {
  if (!node || typeof node !== 'object') return
  const schema = node as Record<string, unknown>
  for (const [key, value] of Object.entries(schema)) {
    // Conditions (if/then/else/not) restate properties to test them; they are not documentation.
    if (['examples', 'const', 'enum', 'if', 'then', 'else', 'not'].includes(key)) continue
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        yield [`${pointer}/properties/${name}`, child as Record<string, unknown>]
        yield* properties(child, `${pointer}/properties/${name}`)
      }
    } else if (value && typeof value === 'object') {
      yield* properties(value, `${pointer}/${key}`)
    }
  }
}

describe('schemas/', () => {
  it.each(files)('%s is JSON Schema 2020-12 with a stable $id matching its file name', (file) => {
    const schema = load(file)
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema['$id']).toBe(SCHEMA_BASE_ID + file)
    expect(typeof schema['description']).toBe('string')
  })

  it.each(files)('%s documents every property with a description and examples', (file) => {
    const undocumented: string[] = []
    for (const [pointer, property] of properties(load(file), '#')) {
      const isRef = typeof property['$ref'] === 'string'
      // A bare $ref inherits its target's documentation; a ref'd property may reuse the target's examples.
      if (isRef && property['description'] === undefined) continue
      if (typeof property['description'] !== 'string' || (!isRef && !Array.isArray(property['examples']))) undocumented.push(pointer)
    }
    expect(undocumented).toEqual([])
  })

  it.each(files)('%s is valid against the JSON Schema 2020-12 meta-schema', (file) => {
    const ajv = new Ajv2020({ strict: false })
    expect(ajv.validateSchema(load(file)), JSON.stringify(ajv.errors)).toBe(true)
  })

  it('compiles every kind once and reuses the compiled validator', () => {
    const registry = getRegistry()
    for (const kind of Object.keys(KINDS) as Kind[]) expect(registry.validator(kind)).toBe(registry.validator(kind))
  })

  it.each(Object.keys(KINDS) as Kind[])('the top-level examples of %s validate against it', (kind) => {
    const schema = getRegistry().rootSchema(kind)
    const examples = (schema['examples'] ?? []) as unknown[]
    expect(examples.length).toBeGreaterThan(0)
    for (const example of examples) expect(validate(kind, example, { strict: true }).errors).toEqual([])
  })

  it('catalogues all 23 documented events with their payload object', () => {
    const catalogue = eventCatalogue()
    expect(catalogue.size).toBe(23)
    expect(catalogue.get('message.created')).toBe('message')
    expect(catalogue.get('plug_installation.destroyed')).toBe('plug_installation')
    const objects = load('webhook-objects.schema.json')['$defs'] as Record<string, unknown>
    // Each payload object is an object schema that requires an id, not merely a name that exists.
    for (const key of catalogue.values()) expect(objects[key], key).toMatchObject({ type: 'object', required: expect.arrayContaining(['id']) })
  })
})

describe('precompiled validators', () => {
  it.each(Object.entries(generateValidators() as Record<string, string>))('src/schema/validators/%s.generated.ts matches schemas/ (run `npm run gen:validators` after a schema change)', (kind, code) => {
    const committed = readFileSync(new URL(`../../src/schema/validators/${kind}.generated.ts`, import.meta.url), 'utf8')
    expect(code).toBe(committed)
  })
})

describe('generated types', () => {
  it('src/schema/types.generated.ts matches schemas/ (run `npm run gen:types` after a schema change)', async () => {
    const committed = readFileSync(new URL('../../src/schema/types.generated.ts', import.meta.url), 'utf8')
    expect(await generateTypes()).toBe(committed)
  })
})
