import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import type * as Ajv2020Module from 'ajv/dist/2020.js'
import type AjvFormatsModule from 'ajv-formats'
import { CkitError, type CkitProblem } from '../errors.js'
import { checkCustomerDocument, type RuntimeCustomer } from './customers.js'
import { parseJson, validate, type Section } from '../schema/index.js'
import { parseYamlText } from '../yaml.js'
import { isMissing, readErrorReason } from '../files.js'

/** The embedded defaults shipped in the repo: the mock runs on these without any option. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../mocks/', import.meta.url))

export interface MockData {
  readonly dir: string
  /** Fixed customers by lower-cased e-mail: the customer and, optionally, its own sections. */
  readonly customers: ReadonlyMap<string, RuntimeCustomer>
  /** JSON Schema (with faker hints) for generated customers. */
  readonly customerSchema: Record<string, unknown>
  readonly sections: readonly Section[]
  /** The raw scenario configuration (validated by the scenario compiler). */
  readonly scenarios: unknown
}

const invalid = (message: string): CkitError => new CkitError('CKIT_MOCK_INVALID_DATA', message)

/** Every problem of a data folder, gathered so one run reports them all. */
type Problems = CkitProblem[]

/** The text of a file, or undefined with the problem noted; a missing optional file is no problem. */
function readText(path: string, label: string, problems: Problems, optional = false): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (cause) {
    if (!(optional && isMissing(cause))) problems.push({ file: label, pointer: '', message: `cannot be read: ${readErrorReason(cause)}` })
    return undefined
  }
}

function readJson(path: string | undefined, label: string, problems: Problems): unknown {
  const text = path === undefined ? undefined : readText(path, label, problems)
  if (text === undefined) return undefined
  const parsed = parseJson(text)
  if (!parsed.ok) problems.push({ file: label, pointer: '', message: `is not valid JSON: ${parsed.error.message}` })
  return parsed.ok ? parsed.value : undefined
}

const require = createRequire(import.meta.url)

/**
 * The path to read for a file of the data folder: its real path, which must lie inside the
 * folder's real path. A link from inside to anywhere else (`customers/x.json -> ~/.ssh/…`) would
 * otherwise be served to anyone who asks for that e-mail. Reading the resolved path, not the
 * link, means the link cannot be re-pointed between this check and the read. A missing file is
 * left for the reader to report.
 */
function insideFolder(realDir: string, dir: string, path: string, label: string, problems: Problems): string | undefined {
  let real: string
  try {
    real = realpathSync(path)
  } catch {
    return path
  }
  if (real !== realDir && !real.startsWith(realDir.endsWith(sep) ? realDir : `${realDir}${sep}`)) {
    problems.push({ file: label, pointer: '', message: `is a link to ${real}, outside the data folder ${dir}: only files inside it are served (copy the file in instead)` })
    return undefined
  }
  return real
}

/**
 * A validator for the customer schema: the contract's own rules plus the `faker` hint keyword.
 * ajv's 2020 dialect loads here, on first use: the shipped folder is checked by the test suite
 * rather than at every start-up, where the import and compilation cost ~70 ms.
 */
function customerValidator(schema: Record<string, unknown>, label: string) {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof Ajv2020Module
  const addFormats = (require('ajv-formats') as typeof AjvFormatsModule).default
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

/**
 * A customers/ file is what a runtime customer is, `{ "customer": {…}, "sections"?: […] }`, or
 * the customer object alone (what `ckit record` writes). An object with no other key than
 * `customer` and `sections`, and an object `customer`, is the first.
 */
function asCustomerDocument(value: unknown): { document: unknown; bare: boolean } {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  const wrapped = isObject(value) && isObject(value['customer']) && Object.keys(value).every((k) => k === 'customer' || k === 'sections')
  return wrapped ? { document: value, bare: false } : { document: { customer: value }, bare: true }
}

/**
 * Loads and checks a mock data folder. Every problem of every file is reported at once, in one
 * CkitError whose message lists each file and JSON pointer (and whose `errors` has them apart):
 * fixing a folder takes one run, not one run per problem.
 */
export function loadMockData(dir: string = DEFAULT_DATA_DIR): MockData {
  let folder
  try {
    folder = statSync(dir)
  } catch (cause) {
    throw new CkitError('CKIT_MOCK_INVALID_DATA', `cannot use the data folder ${dir}: ${readErrorReason(cause)}`, { cause })
  }
  if (!folder.isDirectory()) throw invalid(`the data folder ${dir} is a file, not a folder`)
  const problems: Problems = []
  const label = (file: string) => join(basename(dir), file)
  const realDir = realpathSync(dir)
  const contained = (file: string) => insideFolder(realDir, dir, join(dir, file), label(file), problems)

  let customerSchema = readJson(contained('customer.schema.json'), label('customer.schema.json'), problems) as Record<string, unknown>
  if (customerSchema === null || typeof customerSchema !== 'object' || Array.isArray(customerSchema)) {
    if (customerSchema !== undefined) problems.push({ file: label('customer.schema.json'), pointer: '', message: 'must be a JSON Schema object' })
    customerSchema = {}
  } else if (resolve(dir) !== resolve(DEFAULT_DATA_DIR)) {
    // Compiled to catch a broken schema at start-up rather than at the first generated customer;
    // the shipped defaults are checked by the test suite (test/mock/data.test.ts), not on every start.
    try {
      customerValidator(customerSchema, label('customer.schema.json'))
    } catch (error) {
      problems.push({ file: label('customer.schema.json'), pointer: '', message: (error as Error).message.replace(`${label('customer.schema.json')} `, '') })
    }
  }

  const rawSections = readJson(contained('sections.json'), label('sections.json'), problems)
  let sections: Section[] = []
  if (rawSections !== undefined) {
    const asResponse = validate('response', { version: '2024-03-06', customer: {}, sections: rawSections }, { strict: true })
    for (const e of asResponse.errors) problems.push({ file: label('sections.json'), pointer: e.pointer.replace(/^\/sections/, ''), message: e.message })
    if (asResponse.valid) sections = rawSections as Section[]
  }

  const customers = new Map<string, RuntimeCustomer>()
  let files: string[] = []
  try {
    files = readdirSync(join(dir, 'customers')).filter((f) => f.endsWith('.json'))
  } catch (cause) {
    // A data folder without fixed customers only generates them; any other problem is reported.
    if (!isMissing(cause)) problems.push({ file: label('customers/'), pointer: '', message: `cannot be read: ${readErrorReason(cause)}` })
  }
  for (const file of files.sort()) {
    const fileLabel = label(`customers/${file}`)
    const value = readJson(contained(join('customers', file)), fileLabel, problems)
    if (value === undefined) continue
    // The same check as PUT /__admin/customers/<email>: what one accepts, the other does too.
    const { document, bare } = asCustomerDocument(value)
    const checked = checkCustomerDocument(document, sections)
    if (checked.ok) customers.set(file.slice(0, -'.json'.length).toLowerCase(), checked.document)
    else for (const e of checked.errors) problems.push({ file: fileLabel, pointer: bare ? e.pointer.replace(/^\/customer/, '') : e.pointer, message: e.message })
  }

  let scenarios: unknown = {}
  const scenarioFile = contained('scenarios.yaml')
  // No scenarios.yaml: every request gets the default scenario. Unreadable is another matter.
  const scenarioText = scenarioFile === undefined ? undefined : readText(scenarioFile, label('scenarios.yaml'), problems, true)
  if (scenarioText !== undefined) {
    const parsed = parseYamlText(scenarioText)
    if (!parsed.ok) problems.push({ file: label('scenarios.yaml'), pointer: '', message: `is not valid YAML${parsed.where}` })
    else scenarios = parsed.value ?? {}
  }

  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.file}${p.pointer}${p.pointer === '' ? ' ' : ': '}${p.message}`)
    const message = lines.length === 1 ? lines[0]! : `${lines.length} problems in the data folder ${dir}: ${lines.join('; ')}`
    throw new CkitError('CKIT_MOCK_INVALID_DATA', message, { errors: problems })
  }
  return { dir, customers, customerSchema, sections, scenarios }
}

export { customerValidator }

/** One file of a data folder, as the writer lays it out; `once` files are never replaced. */
export interface MockDataFile {
  readonly path: string
  readonly text: string
  readonly once: boolean
}

/**
 * The files one recorded customer becomes, in the layout `loadMockData` reads:
 * `customers/<email>.json`, plus, once, the sections and a permissive customer.schema.json, so
 * the folder replays with `ckit mock --data <dir>`. The texts are returned first so a caller can
 * check them (the recorder refuses any that carries a signature or the secret).
 */
export function mockDataFiles(dir: string, email: string, document: { customer: unknown; sections: unknown }): MockDataFile[] {
  return [
    { path: join(dir, 'customers', `${email}.json`), text: `${JSON.stringify(document.customer, null, 2)}\n`, once: false },
    { path: join(dir, 'sections.json'), text: `${JSON.stringify(document.sections, null, 2)}\n`, once: true },
    { path: join(dir, 'customer.schema.json'), text: `${JSON.stringify({ description: 'Recorded customers: any JSON object (ckit record).', type: 'object' }, null, 2)}\n`, once: true },
  ]
}

/**
 * Writes what `mockDataFiles` laid out. The customer file is created exclusively unless `force`
 * (then replaced through a renamed temporary file); `once` files are created only when absent.
 * Neither way follows a symlink already at the name.
 */
export function writeMockDataFiles(files: readonly MockDataFile[], options: { force: boolean }): { written: string } | { exists: string } {
  const [customer, ...once] = files
  if (!customer) throw new CkitError('CKIT_MOCK_INVALID_DATA', 'nothing to write: no customer file')
  if (options.force) replaceFile(customer.path, customer.text)
  else if (!createExclusive(customer.path, customer.text)) return { exists: customer.path }
  for (const { path, text } of once) createExclusive(path, text)
  return { written: customer.path }
}

/** O_EXCL refuses an existing name, a symlink included (a dangling one would otherwise be followed and its target created). */
function createExclusive(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { flag: 'wx' })
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

/** A fresh temporary file renamed over the name, so a symlink there is replaced, never followed. */
function replaceFile(file: string, text: string): void {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(temporary, text, { flag: 'wx' })
  try {
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}
