import { readdirSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Validator, type Schema } from '@cfworker/json-schema'
import { describe, expect, it } from 'vitest'
import { DOCUMENT_KINDS, KINDS, SCHEMA_DIR, validate, type DocumentKind, type Kind } from '../../src/schema/index.js'
import { FIXTURES } from '../helpers.js'

/**
 * A second, independent JSON Schema 2020-12 implementation (@cfworker/json-schema) must reach
 * the same verdict as ours on every fixture and every schema example, so the contract means the
 * same to anyone who validates against schemas/ with their own tool.
 */

const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort()
const schemas = files.map((f) => JSON.parse(readFileSync(new URL(f, SCHEMA_DIR), 'utf8')) as Schema)

/** 2020-12 makes `format` an annotation: a validator that follows the default ignores it. */
function withoutFormat(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutFormat)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    // Inside `properties` a key named "format" is a property, not the keyword.
    if (key === 'format' && typeof value === 'string') continue
    out[key] = key === 'examples' || key === 'const' || key === 'enum' ? value : withoutFormat(value)
  }
  return out
}

const MODES = {
  /** cfworker as shipped: it asserts the formats it knows, with its own regexes. */
  'format asserted': schemas,
  /** The 2020-12 default (format-annotation vocabulary): only the other keywords decide. */
  'format as annotation': schemas.map((s) => withoutFormat(s) as Schema),
} as const
type Mode = keyof typeof MODES

function independent(kind: Kind, mode: Mode): Validator {
  const set = MODES[mode]
  const root = set[files.indexOf(KINDS[kind])]!
  // shortCircuit off: walk every branch like ajv's allErrors, so no keyword goes unchecked.
  const validator = new Validator(root, '2020-12', false)
  for (const schema of set) if (schema !== root) validator.addSchema(schema)
  return validator
}

interface Expectation {
  kind: DocumentKind
  valid?: boolean
  strictErrors?: string[]
  line?: number
}

const expectations = JSON.parse(readFileSync(new URL('expectations.json', FIXTURES), 'utf8')) as Record<string, Expectation>

function* jsonFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) yield* jsonFiles(path)
    else if (entry.name.endsWith('.json')) yield relative(fileURLToPath(FIXTURES), path)
  }
}

/** Fixtures that are not a document kind on their own, and the document they are checked inside. */
const WRAPPED: Record<string, { kind: DocumentKind; wrap: (value: unknown) => unknown }> = {
  // A bare message object (switch evaluation input): checked inside its webhook envelope.
  'examples/internal-note.json': { kind: 'webhook', wrap: (message) => ({ yetto: { message } }) },
  'render/seed-response.json': { kind: 'response', wrap: (value) => value },
}

interface Case {
  file: string
  kind: DocumentKind
  value: unknown
}

/** The whole corpus: every JSON file under test/fixtures except the expectations themselves. */
function corpus(): Case[] {
  const cases: Case[] = []
  for (const file of [...jsonFiles(fileURLToPath(FIXTURES).replace(/\/$/, ''))].sort()) {
    if (file === 'expectations.json') continue
    const expectation = expectations[file]
    const wrapped = WRAPPED[file]
    if (!expectation && !wrapped) throw new Error(`test/fixtures/${file} is in neither expectations.json nor WRAPPED: say what it is`)
    // A JSON syntax error leaves no document for a schema validator to judge.
    if (expectation?.line !== undefined) continue
    const value = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as unknown
    cases.push(expectation ? { file, kind: expectation.kind, value } : { file, kind: wrapped!.kind, value: wrapped!.wrap(value) })
  }
  return cases
}

const cases = corpus()
const examples = (Object.keys(KINDS) as Kind[]).flatMap((kind) => {
  const root = schemas[files.indexOf(KINDS[kind])] as { examples?: unknown[] }
  return (root.examples ?? []).map((value, i) => ({ file: `${KINDS[kind]} examples[${i}]`, kind, value }))
})

describe('a second, independent 2020-12 validator agrees with ours in strict mode', () => {
  it('judges the whole corpus: every kind, valid and invalid, and every schema file', () => {
    for (const kind of DOCUMENT_KINDS) {
      expect(cases.some((c) => c.kind === kind && validate(kind, c.value, { strict: true }).valid)).toBe(true)
      expect(cases.some((c) => c.kind === kind && !validate(kind, c.value, { strict: true }).valid)).toBe(true)
    }
    expect(examples.length).toBeGreaterThanOrEqual(Object.keys(KINDS).length)
  })

  describe.each(Object.keys(MODES) as Mode[])('%s', (mode) => {
    it.each([...cases, ...examples])('$file', ({ kind, value }) => {
      const ours = validate(kind, value, { strict: true })
      const theirs = independent(kind, mode).validate(value)
      const why = JSON.stringify({ ours: ours.errors, theirs: theirs.errors.slice(0, 6) })
      expect(theirs.valid, why).toBe(ours.valid)
    })
  })

  it('the fixtures say the same: valid exactly where expectations.json says valid in strict mode', () => {
    for (const { file, kind, value } of cases) {
      const e = expectations[file]
      if (!e) continue
      expect(validate(kind, value, { strict: true }).valid, file).toBe(e.valid === true && e.strictErrors === undefined)
    }
  })
})
