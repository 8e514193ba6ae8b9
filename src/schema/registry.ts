import { readdirSync, readFileSync } from 'node:fs'
import type { AnySchemaObject, ErrorObject } from 'ajv/dist/2020.js'
import { CkitError } from '../errors.js'
import { KINDS, type Kind } from './kinds.js'
import { validate as challenge } from './validators/challenge.generated.js'
import { validate as eventName } from './validators/event-name.generated.js'
import { validate as requestContext } from './validators/request-context.generated.js'
import { validate as response } from './validators/response.generated.js'
import { validate as switchDoc } from './validators/switch.generated.js'
import { validate as webhook } from './validators/webhook.generated.js'

/** Where the contract lives: the same path from src/schema (tests) and dist/schema (package). */
export const SCHEMA_DIR = new URL('../../schemas/', import.meta.url)
export const SCHEMA_BASE_ID = 'https://connection-kit.dev/schemas/'

export { KINDS, type Kind }
export const DOCUMENT_KINDS = ['response', 'request-context', 'challenge', 'webhook', 'switch'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]

export function isKind(value: string): value is Kind {
  return Object.hasOwn(KINDS, value)
}

/**
 * Validators compiled ahead of time from schemas/ by scripts/gen-validators.mjs (ajv standalone,
 * ajv 2020 with allErrors, verbose, discriminator; ajv-formats): start-up never compiles a schema.
 * A test regenerates them and fails when they drift from the schema files.
 */
export type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

const VALIDATORS = {
  response,
  'request-context': requestContext,
  challenge,
  webhook,
  switch: switchDoc,
  'event-name': eventName,
} as unknown as Readonly<Record<Kind, Validator>>

export interface Registry {
  /** The schema files, by file name, as loaded (OpenAPI components and error messages read them). */
  readonly schemas: ReadonlyMap<string, AnySchemaObject>
  validator(kind: Kind): Validator
  /** The schema object a `$ref` inside `kind`'s file points at (same-file refs only). */
  rootSchema(kind: Kind): AnySchemaObject
}

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
  return {
    schemas,
    validator: (kind) => VALIDATORS[kind],
    rootSchema(kind) {
      const schema = schemas.get(KINDS[kind])
      if (!schema) throw new CkitError('CKIT_SCHEMA_LOAD_FAILED', `schemas/${KINDS[kind]} is missing`)
      return schema
    },
  }
}

let registry: Registry | undefined

/** The process-wide registry: schema files are read once, on first use. */
export function getRegistry(): Registry {
  registry ??= buildRegistry()
  return registry
}
