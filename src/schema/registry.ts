import { readdirSync, readFileSync } from 'node:fs'
import { Ajv2020, type AnySchemaObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { CkitError } from '../errors.js'

/** Where the contract lives: the same path from src/schema (tests) and dist/schema (package). */
export const SCHEMA_DIR = new URL('../../schemas/', import.meta.url)
export const SCHEMA_BASE_ID = 'https://connection-kit.dev/schemas/'

/** Document kinds a user can validate, each backed by one schema file. */
export const KINDS = {
  response: 'customer-connection-response.schema.json',
  'request-context': 'request-context.schema.json',
  challenge: 'challenge-response.schema.json',
  webhook: 'webhook.schema.json',
  switch: 'switch.schema.json',
  'event-name': 'webhook-events.schema.json',
} as const

export type Kind = keyof typeof KINDS
export const DOCUMENT_KINDS = ['response', 'request-context', 'challenge', 'webhook', 'switch'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]

export function isKind(value: string): value is Kind {
  return Object.hasOwn(KINDS, value)
}

export interface Registry {
  readonly ajv: Ajv2020
  readonly schemas: ReadonlyMap<string, AnySchemaObject>
  validator(kind: Kind): ValidateFunction
  /** The schema object a `$ref` inside `kind`'s file points at (same-file refs only). */
  rootSchema(kind: Kind): AnySchemaObject
}

// ajv-formats is CommonJS; under NodeNext its callable lives on `.default`.
const addFormats = addFormatsModule.default

function loadSchemas(): Map<string, AnySchemaObject> {
  const schemas = new Map<string, AnySchemaObject>()
  let files: string[]
  try {
    files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'))
  } catch (cause) {
    throw new CkitError('CKIT_SCHEMA_LOAD_FAILED', `cannot read the schema folder ${SCHEMA_DIR.pathname}`, { cause })
  }
  for (const file of files) {
    try {
      const schema = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as AnySchemaObject
      schemas.set(file, schema)
    } catch (cause) {
      throw new CkitError('CKIT_SCHEMA_LOAD_FAILED', `schemas/${file} is not valid JSON`, { cause })
    }
  }
  return schemas
}

function buildRegistry(): Registry {
  const schemas = loadSchemas()
  // verbose: error humanising reads the failing schema (`parentSchema`) to say what was expected.
  const ajv = new Ajv2020({
    // The files are checked against the 2020-12 meta-schema by a test; compiling the meta-schema
    // at every start-up cost ~100 ms of the mock's half-second start budget.
    validateSchema: false,
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    discriminator: true,
  })
  addFormats(ajv)
  // Annotation only: names the payload object of an event in the catalogue.
  ajv.addKeyword({ keyword: 'x-payload', schemaType: 'string' })
  for (const schema of schemas.values()) ajv.addSchema(schema)
  const compiled = new Map<Kind, ValidateFunction>()
  return {
    ajv,
    schemas,
    validator(kind) {
      let validate = compiled.get(kind)
      if (!validate) {
        const id = SCHEMA_BASE_ID + KINDS[kind]
        try {
          validate = ajv.getSchema(id)
        } catch (cause) {
          throw new CkitError('CKIT_SCHEMA_LOAD_FAILED', `schemas/${KINDS[kind]} does not compile`, { cause })
        }
        if (!validate) throw new CkitError('CKIT_SCHEMA_LOAD_FAILED', `schemas/${KINDS[kind]} is missing`)
        compiled.set(kind, validate)
      }
      return validate
    },
    rootSchema(kind) {
      const schema = schemas.get(KINDS[kind])
      if (!schema) throw new CkitError('CKIT_SCHEMA_LOAD_FAILED', `schemas/${KINDS[kind]} is missing`)
      return schema
    },
  }
}

let registry: Registry | undefined

/** The process-wide registry: schemas are read and compiled once, on first use. */
export function getRegistry(): Registry {
  registry ??= buildRegistry()
  return registry
}
