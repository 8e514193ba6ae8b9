import type { AnySchemaObject, ErrorObject } from 'ajv/dist/2020.js'
import { appendPointer, resolvePointer } from './pointer.js'

/** One problem in a document: where (JSON pointer), which schema keyword, and a sentence. */
export interface Issue {
  readonly pointer: string
  readonly keyword: string
  readonly message: string
}

/** Internal: an issue plus what a combinator needs to summarise its failed branches. */
interface Draft extends Issue {
  readonly instancePath: string
  /** Values that would have been accepted (const / enum branches). */
  readonly allowed?: readonly unknown[]
  /** One way the value could have been right ("an array", "\"*\""), for "must be X or Y". */
  readonly alternative?: string
  readonly schemaPath?: string
}

const json = (value: unknown): string => JSON.stringify(value) ?? String(value)

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
}

const FORMAT_NAMES: Record<string, string> = {
  'date-time': 'an ISO-8601 date-time such as "2026-11-25T10:00:00Z"',
  email: 'an e-mail address',
  uri: 'an absolute URI',
}

/**
 * The link rule of the response schema, restated so its message can say what to do; a test pins
 * it to the schema's `pattern`, so the two cannot drift apart.
 */
export const LINK_HREF_PATTERN = '^(?:[Hh][Tt][Tt][Pp][Ss]?://|[Mm][Aa][Ii][Ll][Tt][Oo]:)'

/** Patterns whose failure has a known fix, worded as that fix rather than "the expected form". */
const PATTERN_MESSAGES: Record<string, string> = {
  [LINK_HREF_PATTERN]:
    'must start with a literal https://, http:// or mailto: (the help desk opens no other link, and a scheme computed by a template such as "{{ data.customer.url }}" cannot be proven safe: write the scheme out, e.g. "https://{{ data.customer.host }}/…")',
}

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : [type]
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ')
}

function listValues(values: readonly unknown[], max = 8): string {
  const shown = values.slice(0, max).map(json)
  const rest = values.length - shown.length
  const head = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}` : (shown[0] ?? '')
  return rest > 0 ? `${shown.join(', ')} (or ${rest} more)` : head
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/** "did you mean …" for a near miss among string choices, so a typo names its fix. */
function suggestion(value: unknown, allowed: readonly unknown[]): string {
  if (typeof value !== 'string') return ''
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(value.length / 4)) + 1
  for (const candidate of allowed) {
    if (typeof candidate !== 'string') continue
    const distance = editDistance(value, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best === undefined ? '' : `; did you mean ${json(best)}?`
}

function examplesOf(schema: AnySchemaObject | undefined): string {
  const examples = schema?.['examples']
  return Array.isArray(examples) && examples.length > 0 ? ` (for example ${listValues(examples, 3)})` : ''
}

function requiredNames(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches)) return undefined
  const names: string[] = []
  for (const branch of branches as AnySchemaObject[]) {
    const required = branch?.['required']
    if (!Array.isArray(required)) return undefined
    names.push(...(required as string[]))
  }
  return [...new Set(names)]
}

function draft(instancePath: string, keyword: string, message: string, extra: Partial<Draft> = {}): Draft {
  return { pointer: instancePath, instancePath, keyword, message, ...extra }
}

/** Expected tag values of a discriminated `oneOf`, read from the branches' `const`. */
function discriminatorValues(error: ErrorObject, root: AnySchemaObject): string[] {
  const tag = String(error.params['tag'])
  const branches = (error.parentSchema?.['oneOf'] ?? []) as AnySchemaObject[]
  const values: string[] = []
  for (const branch of branches) {
    const target = typeof branch['$ref'] === 'string' ? resolvePointer(root, branch['$ref']) : branch
    const value = (target as AnySchemaObject | undefined)?.['properties']?.[tag]?.['const']
    if (typeof value === 'string') values.push(value)
  }
  return values
}

function describe(error: ErrorObject, root: AnySchemaObject): Draft | undefined {
  const at = error.instancePath
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return draft(at, 'required', 'is required', { pointer: appendPointer(at, String(p['missingProperty'])), alternative: `an object with ${json(p['missingProperty'])}` })
    case 'additionalProperties':
      return draft(at, 'additionalProperties', 'is not allowed here (unknown property)', { pointer: appendPointer(at, String(p['additionalProperty'])) })
    case 'type':
      return draft(at, 'type', `must be ${typeName(p['type'])}`, { alternative: typeName(p['type']) })
    case 'const':
      return draft(at, 'const', `must be ${json(p['allowedValue'])}`, { allowed: [p['allowedValue']], alternative: json(p['allowedValue']) })
    case 'enum': {
      const allowed = p['allowedValues'] as unknown[]
      return draft(at, 'enum', `must be ${listValues(allowed)}${suggestion(error.data, allowed)}`, { allowed, alternative: listValues(allowed) })
    }
    case 'discriminator': {
      const tag = String(p['tag'])
      const pointer = appendPointer(at, tag)
      if (p['error'] === 'mapping') {
        const values = discriminatorValues(error, root)
        return draft(at, 'discriminator', `${json(p['tagValue'])} is not a known value of ${json(tag)} (expected ${listValues(values)})${suggestion(p['tagValue'], values)}`, { pointer })
      }
      // A missing tag is already reported by `required`.
      const data = error.data as Record<string, unknown> | null
      return data && typeof data === 'object' && data[tag] === undefined ? undefined : draft(at, 'type', 'must be a string', { pointer, instancePath: pointer })
    }
    case 'maxItems':
      return draft(at, 'maxItems', `must have at most ${json(p['limit'])} items (has ${(error.data as unknown[]).length})`)
    case 'minItems':
      return draft(at, 'minItems', `must have at least ${json(p['limit'])} item${p['limit'] === 1 ? '' : 's'}`)
    case 'maxLength':
      return draft(at, 'maxLength', `must be at most ${json(p['limit'])} characters long (is ${[...(error.data as string)].length})`)
    case 'minLength':
      return draft(at, 'minLength', p['limit'] === 1 ? 'must not be empty' : `must be at least ${json(p['limit'])} characters long`)
    case 'minProperties':
      return draft(at, 'minProperties', p['limit'] === 1 ? 'must not be empty' : `must have at least ${json(p['limit'])} properties`)
    case 'format':
      return draft(at, 'format', `must be ${FORMAT_NAMES[String(p['format'])] ?? `a valid ${String(p['format'])}`}`)
    case 'pattern':
      return draft(at, 'pattern', PATTERN_MESSAGES[String(p['pattern'])] ?? `does not have the expected form${examplesOf(error.parentSchema)}`)
    case 'not': {
      const forbidden = (error.schema as AnySchemaObject | undefined)?.['required']
      if (Array.isArray(forbidden) && forbidden.length === 1) {
        return draft(at, 'not', 'must not be present here', { pointer: appendPointer(at, String(forbidden[0])) })
      }
      return draft(at, 'not', 'has a form that is not allowed here')
    }
    // The `then`/`else` errors already say what is wrong; "must match then schema" adds nothing.
    case 'if':
      return undefined
    default:
      return draft(at, error.keyword, error.message ?? 'is not valid')
  }
}

/** Turns the failed branches of an anyOf/oneOf (or a propertyNames check) into one sentence. */
function summarise(error: ErrorObject, branches: Draft[]): Draft {
  const at = error.instancePath
  if (error.keyword === 'propertyNames') {
    const name = String(error.params['propertyName'])
    const allowed = branches.flatMap((b) => b.allowed ?? [])
    const hint = allowed.length > 0 ? suggestion(name, allowed) : ''
    return draft(at, 'propertyNames', `${json(name)} is not an allowed name here${hint || (allowed.length > 0 ? ` (expected ${listValues(allowed)})` : '')}`, {
      pointer: appendPointer(at, name),
    })
  }
  const names = requiredNames(error.schema)
  if (names) {
    const how = error.keyword === 'oneOf' ? 'exactly one' : 'at least one'
    return draft(at, error.keyword, `must have ${how} of ${listValues(names)}`)
  }
  if (branches.length > 0 && branches.every((b) => b.allowed)) {
    const allowed = branches.flatMap((b) => b.allowed ?? [])
    return draft(at, error.keyword, `must be ${listValues(allowed)}${suggestion(error.data, allowed)}`, { allowed, alternative: listValues(allowed) })
  }
  const alternatives = [...new Set(branches.map((b) => b.alternative).filter((a): a is string => a !== undefined))]
  if (alternatives.length > 0 && alternatives.length === branches.length) {
    const text = alternatives.join(' or ')
    return draft(at, error.keyword, `must be ${text}`, { alternative: text })
  }
  // Branches failed for unrelated reasons: the deepest one is what the author most likely meant.
  const deepest = [...branches].sort((a, b) => b.pointer.length - a.pointer.length)[0]
  return deepest ?? draft(at, error.keyword, 'does not match any allowed form')
}

const isSummarised = (keyword: string): boolean => keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'propertyNames'

/**
 * ajv reports a failed anyOf/oneOf as its branches' errors followed by the combinator's own
 * error, all pushed in order; the branch errors are the run just before it at or below its
 * instance path. We fold that run into one sentence. The object's own `type` error, which ajv
 * checks before the combinator, is never part of the run.
 */
export function humanise(errors: readonly ErrorObject[], root: AnySchemaObject): Issue[] {
  const out: Draft[] = []
  for (const error of errors) {
    if (!isSummarised(error.keyword)) {
      const d = describe(error, root)
      if (d) out.push({ ...d, schemaPath: error.schemaPath })
      continue
    }
    const at = error.instancePath
    const ownType = error.schemaPath.replace(/\/(anyOf|oneOf|propertyNames)$/, '/type')
    const branches: Draft[] = []
    while (out.length > 0) {
      const last = out[out.length - 1]!
      const inside = last.instancePath === at || last.instancePath.startsWith(`${at}/`)
      if (!inside || (last.keyword === 'type' && last.instancePath === at && last.schemaPath === ownType)) break
      branches.unshift(out.pop()!)
    }
    out.push(summarise(error, branches))
  }
  // A value of the wrong type fails every other check too; the type error is the one to read.
  const wrongType = new Set(out.filter((d) => d.keyword === 'type').map((d) => d.instancePath))
  // Patterns that enforce a `format` portably fail together with it; the format names the value better.
  const wrongFormat = new Set(out.filter((d) => d.keyword === 'format').map((d) => d.instancePath))
  const seen = new Set<string>()
  const issues: Issue[] = []
  for (const d of out) {
    if (d.keyword !== 'type' && wrongType.has(d.instancePath)) continue
    if (d.keyword === 'pattern' && wrongFormat.has(d.instancePath)) continue
    const key = `${d.pointer}\u0000${d.message}`
    if (seen.has(key)) continue
    seen.add(key)
    issues.push({ pointer: d.pointer, keyword: d.keyword, message: d.message })
  }
  return issues
}
