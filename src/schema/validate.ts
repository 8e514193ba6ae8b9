import { CkitError } from '../errors.js'
import { exceedsDepth, isDepthChecked, MAX_JSON_DEPTH, MAX_VISITS, parseJson, tooDeepMessage } from './json.js'
import { humanise, type Issue } from './messages.js'
import { escapePointerToken } from './pointer.js'
import { DOCUMENT_KINDS, getRegistry, isKind, type DocumentKind, type Kind } from './registry.js'
import type {
  ChallengeResponse,
  CustomerConnectionResponse,
  EventName,
  RequestContext,
  Switch,
  WebhookPayload,
} from './types.generated.js'

/** The TypeScript type of a valid document of each kind (generated from schemas/). */
export interface DocumentTypes {
  response: CustomerConnectionResponse
  'request-context': RequestContext
  challenge: ChallengeResponse
  webhook: WebhookPayload
  switch: Switch
  'event-name': EventName
}

export interface ValidateOptions {
  /**
   * Strict mode turns forward-compatibility warnings into errors: in a customer-connection
   * response, an unknown section type or an unknown property (docs/protocol.md, "lenient mode").
   */
  readonly strict?: boolean
  /** For `webhook`: the event name (X_YETTO_EVENT); its payload object must be present. */
  readonly event?: string
}

/** A located problem; `line`/`column` (and a printable `frame`, maybe a `hint`) are set for JSON syntax errors. */
export interface LocatedIssue extends Issue {
  readonly line?: number
  readonly column?: number
  readonly frame?: string
  readonly hint?: string
}

export type ValidationResult<K extends Kind = Kind> =
  | { valid: true; kind: K; value: DocumentTypes[K]; errors: []; warnings: LocatedIssue[] }
  | { valid: false; kind: K | undefined; value: unknown; errors: LocatedIssue[]; warnings: LocatedIssue[] }

/** Kinds whose readers must tolerate newer producers: these issues are warnings unless strict. */
const FORWARD_COMPATIBLE: ReadonlySet<Kind> = new Set(['response'])
const FORWARD_COMPATIBLE_KEYWORDS: ReadonlySet<string> = new Set(['additionalProperties', 'discriminator'])

let webhookObjectKeys: ReadonlySet<string> | undefined

/** The object keys a webhook body may carry (`message`, `conversation`, …), read from the schema. */
function isWebhookObjectKey(key: string): boolean {
  webhookObjectKeys ??= new Set(Object.keys(getRegistry().rootSchema('webhook')['properties']['yetto']['properties'] as object))
  return webhookObjectKeys.has(key)
}

let catalogue: ReadonlyMap<string, string> | undefined

/** Every documented event name mapped to the key of its payload object inside `yetto`. */
export function eventCatalogue(): ReadonlyMap<string, string> {
  if (!catalogue) {
    const schema = getRegistry().rootSchema('event-name')
    const entries = (schema['anyOf'] as Array<{ const: string; 'x-payload': string }>).map((e) => [e.const, e['x-payload']] as const)
    catalogue = new Map(entries)
  }
  return catalogue
}

/** The one wording for an event name that is not in the catalogue, with the names that are. */
export function unknownEventMessage(event: string): string {
  return `unknown event ${JSON.stringify(event)}; expected one of ${[...eventCatalogue().keys()].join(', ')}`
}

function finish<K extends Kind>(kind: K, value: unknown, errors: LocatedIssue[], warnings: LocatedIssue[]): ValidationResult<K> {
  return errors.length === 0
    ? { valid: true, kind, value: value as DocumentTypes[K], errors: [], warnings }
    : { valid: false, kind, value, errors, warnings }
}

function webhookEventIssues(value: unknown, event: string): LocatedIssue[] {
  const key = eventCatalogue().get(event)
  if (key === undefined) {
    return [{ pointer: '', keyword: 'event', message: `unknown event ${JSON.stringify(event)} (not in the event catalogue)` }]
  }
  const body = (value as { yetto?: unknown } | null)?.yetto
  if (body && typeof body === 'object' && !Object.hasOwn(body, key)) {
    return [{ pointer: `/yetto/${key}`, keyword: 'required', message: `is required for event ${event}` }]
  }
  return []
}

/** Where a value is too deep (or cyclic, or too large to walk), found only once `exceedsDepth` said so. */
function depthIssue(root: unknown): LocatedIssue | undefined {
  if (root === null || typeof root !== 'object' || isDepthChecked(root) || !exceedsDepth(root)) return undefined
  const frames: { keys: string[]; node: Record<string, unknown>; next: number; key: string }[] = [{ keys: Object.keys(root), node: root as Record<string, unknown>, next: 0, key: '' }]
  let visits = 0
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!
    if (frame.next >= frame.keys.length) {
      frames.pop()
      continue
    }
    const key = frame.keys[frame.next++]!
    const child = frame.node[key]
    if (child === null || typeof child !== 'object') continue
    if (frames.length >= MAX_JSON_DEPTH) {
      const pointer = frames.slice(1).map((f) => `/${escapePointerToken(f.key)}`).join('') + `/${escapePointerToken(key)}`
      return { pointer, keyword: 'maxDepth', message: `is ${tooDeepMessage(MAX_JSON_DEPTH)}` }
    }
    if (++visits > MAX_VISITS) break
    frames.push({ keys: Object.keys(child), node: child as Record<string, unknown>, next: 0, key })
  }
  return { pointer: '', keyword: 'maxSize', message: `has more than ${MAX_VISITS} nested arrays and objects` }
}

/** Validates a parsed value against the schema of `kind`. Never throws for any input value. */
export function validate<K extends Kind>(kind: K, value: unknown, options: ValidateOptions = {}): ValidationResult<K> {
  if (!isKind(kind)) throw new CkitError('CKIT_SCHEMA_UNKNOWN_KIND', `unknown kind ${JSON.stringify(kind)}; expected one of ${DOCUMENT_KINDS.join(', ')}`)
  // Before the validator: its error messages and every later step may recurse into the value.
  const tooDeep = depthIssue(value)
  if (tooDeep) return finish(kind, value, [tooDeep], [])
  const registry = getRegistry()
  const validator = registry.validator(kind)
  const ok = validator(value)
  const issues = ok ? [] : humanise(validator.errors ?? [], registry.rootSchema(kind))
  const errors: LocatedIssue[] = []
  const warnings: LocatedIssue[] = []
  const lenient = !options.strict && FORWARD_COMPATIBLE.has(kind)
  for (const issue of issues) {
    if (lenient && FORWARD_COMPATIBLE_KEYWORDS.has(issue.keyword)) warnings.push(issue)
    else errors.push(issue)
  }
  if (kind === 'webhook' && options.event !== undefined) errors.push(...webhookEventIssues(value, options.event))
  return finish(kind, value, errors, warnings)
}

/**
 * Guesses the kind of a parsed document from its shape, for `ckit validate` without `--kind`.
 * Returns undefined when nothing identifies it.
 */
export function detectKind(value: unknown): DocumentKind | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const has = (key: string): boolean => Object.hasOwn(value, key)
  const version = (value as { version?: unknown }).version
  if (has('yetto')) return 'webhook'
  // A bare event object ({ "message": … }) is a webhook missing its envelope: say so, not "unknown kind".
  const keys = Object.keys(value)
  if (keys.length === 1 && isWebhookObjectKey(keys[0]!)) return 'webhook'
  if (version === '2023-03-06' || has('events')) return 'switch'
  if (version === '2024-03-06' || has('sections') || has('customer')) return 'response'
  if (has('reason') || has('requester') || has('requested_at')) return 'request-context'
  if (has('challenge')) return 'challenge'
  return undefined
}

export type TextValidationResult<K extends DocumentKind = DocumentKind> =
  | ValidationResult<K>
  | { valid: false; kind: K | undefined; value: undefined; errors: LocatedIssue[]; warnings: [] }

/**
 * Parses and validates raw text or bytes. Invalid JSON is reported with line and column;
 * without `kind`, the kind is detected from the document's shape.
 */
export function validateText<K extends DocumentKind = DocumentKind>(input: string | Uint8Array, kind?: K, options: ValidateOptions = {}): TextValidationResult<K> {
  const parsed = parseJson(input)
  if (!parsed.ok) {
    const { message, line, column, code, frame, hint } = parsed.error
    const issue: LocatedIssue = { pointer: '', keyword: code === 'too_deep' ? 'maxDepth' : 'json', message: `invalid JSON: ${message}`, line, column, ...(frame ? { frame } : {}), ...(hint ? { hint } : {}) }
    return { valid: false, kind, value: undefined, errors: [issue], warnings: [] }
  }
  const resolved = (kind ?? detectKind(parsed.value)) as K | undefined
  if (!resolved) {
    return {
      valid: false,
      kind: undefined,
      value: undefined,
      errors: [{ pointer: '', keyword: 'kind', message: `cannot tell what kind of document this is; name it with a kind (${DOCUMENT_KINDS.join(', ')})` }],
      warnings: [],
    }
  }
  return validate(resolved, parsed.value, options)
}
