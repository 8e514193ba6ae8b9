import { createHash } from 'node:crypto'
import { LruCache } from '../lru.js'

/** Variants of `schema-invalid:<variant>`, each with the client failure kind it produces. */
export const SCHEMA_INVALID_VARIANTS = Object.freeze({
  'wrong-version': 'schema_invalid: version is not "2024-03-06"',
  'missing-customer': 'schema_invalid: no customer',
  'missing-sections': 'schema_invalid: no sections',
  'customer-not-object': 'schema_invalid: customer is a string',
  'link-without-href': 'schema_invalid: a link section without href',
  'href-not-string': 'schema_invalid: an href that is a number',
  'too-many-sections': 'schema_invalid: 51 sections',
  'unknown-section-type': 'a warning (lenient) or schema_invalid (strict): a section of type "chart"',
  'unsafe-href': 'schema_invalid: a javascript: link (the schema requires a literal https://, http:// or mailto:)',
  'undefined-variable': 'a warning (lenient) or template_error (strict): a template using data.customer.nonexistent',
  'template-syntax': 'template_error: a template with a syntax error',
} as const)
export type SchemaInvalidVariant = keyof typeof SCHEMA_INVALID_VARIANTS

export type Scenario =
  | { readonly name: string; readonly kind: 'ok' }
  | { readonly name: string; readonly kind: 'delay'; readonly ms: number }
  | { readonly name: string; readonly kind: 'timeout' }
  | { readonly name: string; readonly kind: 'status'; readonly status: number }
  | { readonly name: string; readonly kind: 'html-error-page' | 'malformed-json' | 'empty-body' | 'truncated-json' | 'too-large' | 'reset' | 'hang' | 'wrong-challenge' }
  | { readonly name: string; readonly kind: 'schema-invalid'; readonly variant: SchemaInvalidVariant }
  | { readonly name: string; readonly kind: 'drip'; readonly chunks: number; readonly ms: number }

/** The catalogue: what each scenario does on the wire, and what a help-desk client reports. */
export const SCENARIO_CATALOGUE: readonly { readonly name: string; readonly effect: string; readonly client: string }[] = [
  { name: 'ok', effect: 'a valid 2024-03-06 response (or the challenge echo)', client: 'ok' },
  { name: 'delay:<ms>', effect: 'the normal response after <ms> milliseconds (0–60000)', client: 'ok, or timeout past the budget' },
  { name: 'timeout', effect: 'the normal response, 500 ms after the 3 s budget', client: 'timeout' },
  { name: 'status:<code>', effect: 'HTTP <code> (100–599 minus 1xx) with a realistic body: JSON for 4xx/500, a proxy HTML page for 502–504, Retry-After on 429/503', client: 'http_status' },
  { name: 'html-error-page', effect: '200 with an HTML login page, Content-Type text/html', client: 'invalid_json' },
  { name: 'malformed-json', effect: '200 application/json whose body is not JSON (a trailing comma and a cut object)', client: 'invalid_json' },
  { name: 'empty-body', effect: '200 application/json with an empty body', client: 'invalid_json' },
  { name: 'truncated-json', effect: '200 application/json carrying the first half of the normal body', client: 'invalid_json' },
  ...Object.entries(SCHEMA_INVALID_VARIANTS).map(([variant, client]) => ({ name: `schema-invalid:${variant}`, effect: 'a JSON response that breaks the contract', client })),
  { name: 'too-large', effect: 'a valid response padded past 512 KiB', client: 'too_large' },
  { name: 'reset', effect: 'the TCP connection is reset (RST) before any byte is sent', client: 'network' },
  { name: 'hang', effect: 'the connection stays open and nothing is ever sent', client: 'timeout' },
  { name: 'drip:<chunks>:<ms>', effect: 'the normal body in <chunks> chunked pieces, <ms> apart', client: 'ok, or timeout when chunks × ms passes the budget' },
  { name: 'wrong-challenge', effect: 'a challenge request gets a different challenge back; other requests are answered normally', client: 'bad_challenge' },
]

const SIMPLE = new Set(['ok', 'timeout', 'html-error-page', 'malformed-json', 'empty-body', 'truncated-json', 'too-large', 'reset', 'hang', 'wrong-challenge'])
const MAX_DELAY_MS = 60_000

export type ParseScenarioResult = { ok: true; scenario: Scenario } | { ok: false; message: string }

function wholeNumber(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  const value = Number(text)
  return value >= min && value <= max ? value : undefined
}

/** Parses a scenario name such as `status:503` or `drip:5:200`; unknown names are an error, never `ok`. */
export function parseScenario(text: unknown): ParseScenarioResult {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, message: 'scenario must be a non-empty string' }
  const name = text.trim()
  const [head, ...args] = name.split(':')
  const fail = (why: string): ParseScenarioResult => ({ ok: false, message: `${JSON.stringify(name)}: ${why}` })
  if (SIMPLE.has(name)) return { ok: true, scenario: { name, kind: name as 'ok' } }
  switch (head) {
    case 'delay': {
      const ms = wholeNumber(args[0], 0, MAX_DELAY_MS)
      return ms === undefined || args.length !== 1 ? fail(`expected delay:<ms> with ms from 0 to ${MAX_DELAY_MS}`) : { ok: true, scenario: { name, kind: 'delay', ms } }
    }
    case 'status': {
      const status = wholeNumber(args[0], 200, 599)
      return status === undefined || args.length !== 1 ? fail('expected status:<code> with an HTTP status from 200 to 599') : { ok: true, scenario: { name, kind: 'status', status } }
    }
    case 'drip': {
      const chunks = wholeNumber(args[0], 1, 1000)
      const ms = wholeNumber(args[1], 0, 10_000)
      return chunks === undefined || ms === undefined || args.length !== 2
        ? fail('expected drip:<chunks>:<ms> with 1–1000 chunks and 0–10000 ms between them')
        : { ok: true, scenario: { name, kind: 'drip', chunks, ms } }
    }
    case 'schema-invalid': {
      const variant = args.join(':')
      return Object.hasOwn(SCHEMA_INVALID_VARIANTS, variant)
        ? { ok: true, scenario: { name, kind: 'schema-invalid', variant: variant as SchemaInvalidVariant } }
        : fail(`unknown variant; expected one of ${Object.keys(SCHEMA_INVALID_VARIANTS).join(', ')}`)
    }
    default:
      return fail(`unknown scenario; expected one of ${SCENARIO_CATALOGUE.map((s) => s.name).filter((n) => !n.startsWith('schema-invalid:')).join(', ')}, schema-invalid:<variant>`)
  }
}

/** A rule as written in scenarios.yaml or sent to PUT /__admin/scenarios. */
export type RuleConfig =
  | { match: string; scenario: string; p?: number; otherwise?: string }
  | { match: string; sequence: string[] }

export interface ScenarioConfig {
  default?: string
  rules?: RuleConfig[]
}

interface Rule {
  readonly config: RuleConfig
  readonly matches: (email: string) => boolean
  readonly pick: (email: string, requestNumber: number) => Scenario
}

export type ScenarioConfigResult = { ok: true; book: CompiledConfig } | { ok: false; errors: { pointer: string; message: string }[] }

export interface CompiledConfig {
  readonly defaultScenario: Scenario
  readonly rules: readonly Rule[]
  readonly config: ScenarioConfig
}

/** `*` matches any run of characters; matching is case-insensitive like e-mail domains. */
function globMatcher(pattern: string): (email: string) => boolean {
  if (!pattern.includes('*')) {
    const exact = pattern.toLowerCase()
    return (email) => email.toLowerCase() === exact
  }
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  const regex = new RegExp(`^${source}$`, 'i')
  return (email) => regex.test(email)
}

/** A number in [0, 1) that depends only on (seed, email, request number): reproducible chaos. */
export function draw(seed: number, email: string, requestNumber: number): number {
  return createHash('sha256').update(`${seed}\u0000${email.toLowerCase()}\u0000${requestNumber}`).digest().readUInt32BE(0) / 2 ** 32
}

/** Validates a scenario configuration and compiles its matchers once. */
export function compileScenarioConfig(input: unknown, seed: number): ScenarioConfigResult {
  const errors: { pointer: string; message: string }[] = []
  const scenarioAt = (value: unknown, pointer: string): Scenario | undefined => {
    const parsed = parseScenario(value)
    if (!parsed.ok) errors.push({ pointer, message: parsed.message })
    return parsed.ok ? parsed.scenario : undefined
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ pointer: '', message: 'scenario configuration must be an object with `default` and/or `rules`' }] }
  }
  const raw = input as Record<string, unknown>
  for (const key of Object.keys(raw)) if (key !== 'default' && key !== 'rules') errors.push({ pointer: `/${key}`, message: 'is not allowed (expected default, rules)' })
  const defaultScenario = raw['default'] === undefined ? ({ name: 'ok', kind: 'ok' } as Scenario) : scenarioAt(raw['default'], '/default')
  const rules: Rule[] = []
  const rawRules = raw['rules'] ?? []
  if (!Array.isArray(rawRules)) errors.push({ pointer: '/rules', message: 'must be a list of rules' })
  ;(Array.isArray(rawRules) ? rawRules : []).forEach((rule: unknown, i) => {
    const at = `/rules/${i}`
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      errors.push({ pointer: at, message: 'must be an object with match and scenario or sequence' })
      return
    }
    const r = rule as Record<string, unknown>
    const allowed = new Set(['match', 'scenario', 'sequence', 'p', 'otherwise'])
    for (const key of Object.keys(r)) if (!allowed.has(key)) errors.push({ pointer: `${at}/${key}`, message: 'is not allowed (expected match, scenario, sequence, p, otherwise)' })
    if (typeof r['match'] !== 'string' || r['match'] === '') errors.push({ pointer: `${at}/match`, message: 'must be an e-mail address or a glob such as "*@example.com"' })
    const matches = typeof r['match'] === 'string' ? globMatcher(r['match']) : () => false
    if (r['sequence'] !== undefined) {
      if (r['scenario'] !== undefined || r['p'] !== undefined) errors.push({ pointer: at, message: 'has both sequence and scenario/p; use one' })
      if (!Array.isArray(r['sequence']) || r['sequence'].length === 0) {
        errors.push({ pointer: `${at}/sequence`, message: 'must be a non-empty list of scenario names' })
        return
      }
      const steps = (r['sequence'] as unknown[]).map((s, j) => scenarioAt(s, `${at}/sequence/${j}`))
      rules.push({ config: rule as RuleConfig, matches, pick: (_email, n) => steps[Math.min(n, steps.length - 1)]! })
      return
    }
    const scenario = scenarioAt(r['scenario'], `${at}/scenario`)
    if (r['p'] === undefined) {
      if (r['otherwise'] !== undefined) errors.push({ pointer: `${at}/otherwise`, message: 'only goes with p' })
      rules.push({ config: rule as RuleConfig, matches, pick: () => scenario! })
      return
    }
    const p = r['p']
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) errors.push({ pointer: `${at}/p`, message: 'must be a probability from 0 to 1' })
    const otherwise = r['otherwise'] === undefined ? ({ name: 'ok', kind: 'ok' } as Scenario) : scenarioAt(r['otherwise'], `${at}/otherwise`)
    rules.push({ config: rule as RuleConfig, matches, pick: (email, n) => (draw(seed, email, n) < (p as number) ? scenario! : otherwise!) })
  })
  if (errors.length > 0 || !defaultScenario) return { ok: false, errors }
  return { ok: true, book: { defaultScenario, rules, config: { default: defaultScenario.name, rules: rules.map((r) => r.config) } } }
}

export interface ScenarioChoice {
  readonly scenario: Scenario
  /** Where it came from: `header`, `rule:<match>` or `default`. */
  readonly source: string
}

/** The live scenario state: configuration plus per-e-mail request counters (for sequences and draws). */
export class ScenarioBook {
  #current: CompiledConfig
  #initial: CompiledConfig
  // Bounded: a glob rule can meet any number of distinct e-mails over a long run.
  #counters: LruCache<string, number>
  readonly #counterEntries: number

  constructor(initial: CompiledConfig, counterEntries = 100_000) {
    this.#current = initial
    this.#initial = initial
    this.#counterEntries = counterEntries
    this.#counters = new LruCache(counterEntries)
  }

  get config(): ScenarioConfig {
    return this.#current.config
  }

  choose(email: string | undefined, header: Scenario | undefined): ScenarioChoice {
    if (header) return { scenario: header, source: 'header' }
    if (email !== undefined) {
      const rule = this.#current.rules.find((r) => r.matches(email))
      if (rule) {
        const key = `${rule.config.match}\u0000${email.toLowerCase()}`
        const n = this.#counters.get(key) ?? 0
        this.#counters.set(key, n + 1)
        return { scenario: rule.pick(email, n), source: `rule:${rule.config.match}` }
      }
    }
    return { scenario: this.#current.defaultScenario, source: 'default' }
  }

  replace(next: CompiledConfig): void {
    this.#current = next
    this.#counters = new LruCache(this.#counterEntries)
    this.#ruleIds.clear()
  }

  /** Rules added one at a time, by the id `add` gave them; a replace or reset forgets them. */
  readonly #ruleIds = new Map<string, Rule>()
  #nextRuleId = 0

  /**
   * Adds one compiled rule after the others and returns its id. Counters of the other rules
   * keep running: adding a rule does not restart anyone's sequence.
   */
  add(rule: CompiledConfig['rules'][number]): string {
    const current = this.#current
    this.#current = { ...current, rules: [...current.rules, rule], config: { ...current.config, rules: [...(current.config.rules ?? []), rule.config] } }
    const id = `rule-${++this.#nextRuleId}`
    this.#ruleIds.set(id, rule)
    return id
  }

  /** Removes a rule `add` returned the id of; false when there is none (any more). */
  remove(id: string): boolean {
    const rule = this.#ruleIds.get(id)
    if (rule === undefined) return false
    this.#ruleIds.delete(id)
    const current = this.#current
    this.#current = { ...current, rules: current.rules.filter((r) => r !== rule), config: { ...current.config, rules: (current.config.rules ?? []).filter((c) => c !== rule.config) } }
    return true
  }

  reset(): void {
    this.replace(this.#initial)
  }

  /** A book for a session: the same start-up configuration, counters of its own. */
  fork(): ScenarioBook {
    return new ScenarioBook(this.#initial, this.#counterEntries)
  }

  /** A reloaded scenarios.yaml: the new start-up configuration, in force at once. */
  rebase(next: CompiledConfig): void {
    this.#initial = next
    this.replace(next)
  }
}
