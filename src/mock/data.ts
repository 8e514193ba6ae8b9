import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import yaml from 'js-yaml'
import { CkitError } from '../errors.js'
import { humanise, parseJson, validate, type Section } from '../schema/index.js'

/** The embedded defaults shipped in the repo: the mock runs on these without any option. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../mocks/', import.meta.url))

export interface MockData {
  readonly dir: string
  /** Fixed customers by lower-cased e-mail. */
  readonly customers: ReadonlyMap<string, Record<string, unknown>>
  /** JSON Schema (with faker hints) for generated customers. */
  readonly customerSchema: Record<string, unknown>
  readonly sections: readonly Section[]
  /** The raw scenario configuration (validated by the scenario compiler). */
  readonly scenarios: unknown
}

const invalid = (message: string): CkitError => new CkitError('CKIT_MOCK_INVALID_DATA', message)

function readJson(path: string, label: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw invalid(`cannot read ${label}`)
  }
  const parsed = parseJson(text)
  if (!parsed.ok) throw invalid(`${label} is not valid JSON: ${parsed.error.message}`)
  return parsed.value
}

const addFormats = addFormatsModule.default

/** A validator for the customer schema: the contract's own rules plus the `faker` hint keyword. */
function customerValidator(schema: Record<string, unknown>, label: string) {
  // Strict mode still rejects unknown keywords; skipping meta-schema validation saves ~100 ms of start-up.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false, validateSchema: false })
  addFormats(ajv)
  ajv.addKeyword({ keyword: 'faker', schemaType: 'string' })
  try {
    return ajv.compile(schema)
  } catch (cause) {
    throw invalid(`${label} is not a valid JSON Schema: ${(cause as Error).message}`)
  }
}

/** YAML (and so JSON) text; `where` names the line and column of a syntax error. */
export function parseYamlText(text: string): { ok: true; value: unknown } | { ok: false; where: string; reason: string } {
  try {
    // JSON_SCHEMA: plain data only (no dates or other implicit types), the subset these files need.
    return { ok: true, value: yaml.load(text, { schema: yaml.JSON_SCHEMA }) }
  } catch (cause) {
    const mark = (cause as { mark?: { line: number; column: number } }).mark
    return { ok: false, where: mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '', reason: (cause as { reason?: string }).reason ?? String(cause) }
  }
}

/** Loads and checks a mock data folder; every problem names the file and the JSON pointer. */
export function loadMockData(dir: string = DEFAULT_DATA_DIR): MockData {
  const label = (file: string) => join(basename(dir), file)
  const customerSchema = readJson(join(dir, 'customer.schema.json'), label('customer.schema.json')) as Record<string, unknown>
  if (customerSchema === null || typeof customerSchema !== 'object' || Array.isArray(customerSchema)) throw invalid(`${label('customer.schema.json')} must be a JSON Schema object`)
  const checkCustomer = customerValidator(customerSchema, label('customer.schema.json'))

  const sections = readJson(join(dir, 'sections.json'), label('sections.json'))
  const asResponse = validate('response', { version: '2024-03-06', customer: {}, sections }, { strict: true })
  if (!asResponse.valid) {
    const e = asResponse.errors[0]!
    throw invalid(`${label('sections.json')}${e.pointer.replace(/^\/sections/, '')}: ${e.message}`)
  }

  const customers = new Map<string, Record<string, unknown>>()
  let files: string[] = []
  try {
    files = readdirSync(join(dir, 'customers')).filter((f) => f.endsWith('.json'))
  } catch {
    // A data folder without fixed customers only generates them.
  }
  for (const file of files.sort()) {
    const email = file.slice(0, -'.json'.length).toLowerCase()
    const customer = readJson(join(dir, 'customers', file), label(`customers/${file}`))
    if (!checkCustomer(customer)) {
      const e = humanise(checkCustomer.errors ?? [], customerSchema)[0]!
      throw invalid(`${label(`customers/${file}`)}${e.pointer}: ${e.message} (fixed customers must match customer.schema.json)`)
    }
    customers.set(email, customer as Record<string, unknown>)
  }

  let scenarios: unknown = {}
  const scenarioFile = join(dir, 'scenarios.yaml')
  let scenarioText: string | undefined
  try {
    scenarioText = readFileSync(scenarioFile, 'utf8')
  } catch {
    // No scenarios.yaml: every request gets the default scenario.
  }
  if (scenarioText !== undefined) {
    const parsed = parseYamlText(scenarioText)
    if (!parsed.ok) throw invalid(`${label('scenarios.yaml')} is not valid YAML${parsed.where}`)
    scenarios = parsed.value ?? {}
  }
  return { dir, customers, customerSchema, sections: sections as Section[], scenarios }
}

export { customerValidator }
