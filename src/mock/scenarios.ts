import { createHash, randomBytes } from 'node:crypto'
import { CkitError } from '../errors.js'
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
  | { readonly name: string; readonly kind: 'delay'; readonly ms: number; readonly latency?: Latency }
  | { readonly name: string; readonly kind: 'timeout' }
  | { readonly name: string; readonly kind: 'status'; readonly status: number }
  | { readonly name: string; readonly kind: 'html-error-page' | 'malformed-json' | 'empty-body' | 'truncated-json' | 'too-large' | 'reset' | 'hang' | 'wrong-challenge' }
  | { readonly name: string; readonly kind: 'schema-invalid'; readonly variant: SchemaInvalidVariant }
  | { readonly name: string; readonly kind: 'drip'; readonly chunks: number; readonly ms: number; readonly latency?: Latency }

/**
 * A latency drawn per request, as WireMock's delay distributions: `uniform` between two bounds,
 * or `lognormal` around a median (a long right tail, like real endpoints), capped. A scenario
 * that carries one has its `ms` drawn by the ScenarioBook, from the seed, before it is applied.
 */
export type Latency =
  | { readonly type: 'uniform'; readonly lower: number; readonly upper: number }
  | { readonly type: 'lognormal'; readonly median: number; readonly sigma: number; readonly cap: number }

/** The catalogue: what each scenario does on the wire, and what a help-desk client reports. */
export const SCENARIO_CATALOGUE: readonly { readonly name: string; readonly effect: string; readonly client: string }[] = [
  { name: 'ok', effect: 'a valid 2024-03-06 response (or the challenge echo)', client: 'ok' },
  { name: 'delay:<ms>', effect: 'the normal response after <ms> milliseconds (0–60000); <ms> may be a distribution drawn per request from the seed: uniform:<lower>:<upper> or lognormal:<median>:<sigma>[:<cap>]', client: 'ok, or timeout past the budget' },
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
  { name: 'drip:<chunks>:<ms>', effect: 'the normal body in <chunks> chunked pieces, <ms> apart (0–10000; a distribution as for delay, drawn once per request)', client: 'ok, or timeout when chunks × ms passes the budget' },
  { name: 'wrong-challenge', effect: 'a challenge request gets a different challenge back; other requests are answered normally', client: 'bad_challenge' },
]

const SIMPLE = new Set(['ok', 'timeout', 'html-error-page', 'malformed-json', 'empty-body', 'truncated-json', 'too-large', 'reset', 'hang', 'wrong-challenge'])
const MAX_DELAY_MS = 60_000
const MAX_DRIP_GAP_MS = 10_000

export type ParseScenarioResult = { ok: true; scenario: Scenario } | { ok: false; message: string }

function wholeNumber(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  const value = Number(text)
  return value >= min && value <= max ? value : undefined
}

const MAX_SIGMA = 5

/** `<ms>`, `uniform:<lower>:<upper>` or `lognormal:<median>:<sigma>[:<cap>]`, every number of ms from 0 to `max`. */
function parseLatency(args: readonly string[], max: number): { ms: number; latency?: Latency } | undefined {
  const [type, ...rest] = args
  if (args.length === 1) {
    const ms = wholeNumber(type, 0, max)
    return ms === undefined ? undefined : { ms }
  }
  if (type === 'uniform' && rest.length === 2) {
    const lower = wholeNumber(rest[0], 0, max)
    const upper = wholeNumber(rest[1], 0, max)
    return lower === undefined || upper === undefined || lower > upper ? undefined : { ms: lower, latency: { type, lower, upper } }
  }
  if (type === 'lognormal' && (rest.length === 2 || rest.length === 3)) {
    const median = wholeNumber(rest[0], 1, max)
    const sigma = /^\d+(\.\d+)?$/.test(rest[1] ?? '') ? Number(rest[1]) : NaN
    const cap = rest[2] === undefined ? max : wholeNumber(rest[2], median ?? 1, max)
    return median === undefined || cap === undefined || !(sigma > 0 && sigma <= MAX_SIGMA) ? undefined : { ms: median, latency: { type, median, sigma, cap } }
  }
  return undefined
}

const LATENCY_SYNTAX = (max: number) => `<ms>, uniform:<lower>:<upper> or lognormal:<median>:<sigma>[:<cap>], with ms from 0 to ${max}, lower ≤ upper, median ≤ cap and 0 < sigma ≤ ${MAX_SIGMA}`

/** Parses a scenario name such as `status:503` or `drip:5:200`; unknown names are an error, never `ok`. */
/** 🔧 docs/mock.md: the per-request scenario header (the mock's and the checking proxy's). */
export const SCENARIO_HEADER = 'x-mock-scenario'

/**
 * The scenario a request's X-Mock-Scenario header asks for (undefined without one); an unknown
 * name is refused, with the header named in the message.
 */
// Shared: most requests carry no header, and this runs on the mock's hot path.
const NO_HEADER_SCENARIO = Object.freeze({ ok: true as const, scenario: undefined })

export function scenarioFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): { ok: true; scenario: Scenario | undefined } | { ok: false; message: string } {
  const raw = headers[SCENARIO_HEADER]
  if (raw === undefined) return NO_HEADER_SCENARIO
  const chosen = parseScenario(Array.isArray(raw) ? raw[0] : raw)
  return chosen.ok ? chosen : { ok: false, message: `${SCENARIO_HEADER}: ${chosen.message}` }
}

export function parseScenario(text: unknown): ParseScenarioResult {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, message: 'scenario must be a non-empty string' }
  const name = text.trim()
  const [head, ...args] = name.split(':')
  const fail = (why: string): ParseScenarioResult => ({ ok: false, message: `${JSON.stringify(name)}: ${why}` })
  if (SIMPLE.has(name)) return { ok: true, scenario: { name, kind: name as 'ok' } }
  switch (head) {
    case 'delay': {
      const latency = parseLatency(args, MAX_DELAY_MS)
      return latency === undefined ? fail(`expected delay:<latency>, the latency being ${LATENCY_SYNTAX(MAX_DELAY_MS)}`) : { ok: true, scenario: { name, kind: 'delay', ...latency } }
    }
    case 'status': {
      const status = wholeNumber(args[0], 200, 599)
      return status === undefined || args.length !== 1 ? fail('expected status:<code> with an HTTP status from 200 to 599') : { ok: true, scenario: { name, kind: 'status', status } }
    }
    case 'drip': {
      const chunks = wholeNumber(args[0], 1, 1000)
      const latency = parseLatency(args.slice(1), MAX_DRIP_GAP_MS)
      return chunks === undefined || latency === undefined
        ? fail(`expected drip:<chunks>:<latency> with 1–1000 chunks, the latency between them being ${LATENCY_SYNTAX(MAX_DRIP_GAP_MS)}`)
        : { ok: true, scenario: { name, kind: 'drip', chunks, ...latency } }
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

/** A number in [0, 1) that depends only on (seed, email, request number): reproducible chaos. */
export function draw(seed: number, email: string, requestNumber: number): number {
  return createHash('sha256').update(`${seed}\u0000${email.toLowerCase()}\u0000${requestNumber}`).digest().readUInt32BE(0) / 2 ** 32
}

/** The milliseconds a latency distribution gives for (seed, e-mail, request number): the same inputs, the same delay. */
export function sampleLatency(latency: Latency, seed: number, key: string, requestNumber: number): number {
  const u = draw(seed, `${key}\u0000latency`, requestNumber)
  if (latency.type === 'uniform') return latency.lower + Math.floor(u * (latency.upper - latency.lower + 1))
  // Box–Muller: a standard normal from two uniforms (1 - u is in (0, 1], so the log is finite).
  const z = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * draw(seed, `${key}\u0000latency-angle`, requestNumber))
  return Math.min(latency.cap, Math.round(latency.median * Math.exp(latency.sigma * z)))
}

/** The `reason` of a request context: a rule can match it alone or with the e-mail. */
export const REQUEST_REASONS = Object.freeze(['conversation_viewed', 'automation', 'refresh', 'challenge'] as const)
export type RequestReason = (typeof REQUEST_REASONS)[number]

/** A rule as written in scenarios.yaml, sent to PUT /__admin/scenarios or POST /__admin/scenarios/rules. */
export type RuleConfig = { id?: string; match?: string; reason?: RequestReason | RequestReason[] } & ({ scenario: string; p?: number; otherwise?: string } | { sequence: string[] })

export interface ScenarioConfig {
  default?: string
  rules?: RuleConfig[]
}

export interface CompiledRule {
  readonly id: string
  /** The journal's scenarioSource: `rule:` and what it matches. */
  readonly source: string
  /** As given, with its id. */
  readonly config: RuleConfig
  readonly matches: (email: string | undefined, reason: string | undefined) => boolean
  readonly pick: (email: string, requestNumber: number) => Scenario
}

export interface ConfigError {
  readonly pointer: string
  readonly message: string
}

export type ScenarioConfigResult = { ok: true; book: CompiledConfig } | { ok: false; errors: ConfigError[] }

export interface CompiledConfig {
  readonly defaultScenario: Scenario
  readonly rules: readonly CompiledRule[]
  readonly config: ScenarioConfig
  /** Draws (probabilities, latencies) depend on it; a rule added later uses it too. */
  readonly seed: number
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

const RULE_KEYS = ['id', 'match', 'reason', 'scenario', 'sequence', 'p', 'otherwise']
const RULE_ID = /^[A-Za-z0-9_.-]{1,64}$/

/** Unguessable enough that a stale DELETE from one test never removes another test's rule. */
const newRuleId = (): string => `rule-${randomBytes(6).toString('hex')}`

function scenarioAt(value: unknown, pointer: string, errors: ConfigError[]): Scenario | undefined {
  const parsed = parseScenario(value)
  if (!parsed.ok) errors.push({ pointer, message: parsed.message })
  return parsed.ok ? parsed.scenario : undefined
}

/** The matcher of a rule's `match` and `reason`, built once: per request it is a glob test and a set lookup. */
function ruleMatcher(r: Record<string, unknown>, at: string, errors: ConfigError[]): CompiledRule['matches'] {
  const match = r['match']
  const reason = r['reason']
  if (match === undefined && reason === undefined) errors.push({ pointer: at, message: 'needs match (an e-mail or glob), reason, or both' })
  if (match !== undefined && (typeof match !== 'string' || match === '')) errors.push({ pointer: `${at}/match`, message: 'must be an e-mail address or a glob such as "*@example.com"' })
  const reasons = reason === undefined ? [] : Array.isArray(reason) ? reason : [reason]
  if (reason !== undefined && (reasons.length === 0 || reasons.some((x) => !REQUEST_REASONS.includes(x as RequestReason)))) {
    errors.push({ pointer: `${at}/reason`, message: `must be one of ${REQUEST_REASONS.join(', ')}, or a non-empty list of them` })
  }
  const email = typeof match === 'string' ? globMatcher(match) : undefined
  const wanted = reason === undefined ? undefined : new Set<unknown>(reasons)
  return (e, why) => (email === undefined || (e !== undefined && email(e))) && (wanted === undefined || wanted.has(why))
}

/**
 * Validates one rule and compiles it; problems go to `errors` with pointers under `at`. The full
 * configuration and a single added rule use this, so both give the same errors.
 */
function compileRule(rule: unknown, at: string, seed: number, errors: ConfigError[]): CompiledRule | undefined {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    errors.push({ pointer: at, message: 'must be an object with match and/or reason, and scenario or sequence' })
    return undefined
  }
  const r = rule as Record<string, unknown>
  for (const key of Object.keys(r)) if (!RULE_KEYS.includes(key)) errors.push({ pointer: `${at}/${key}`, message: `is not allowed (expected ${RULE_KEYS.join(', ')})` })
  if (r['id'] !== undefined && (typeof r['id'] !== 'string' || !RULE_ID.test(r['id']))) errors.push({ pointer: `${at}/id`, message: 'must be 1–64 letters, digits, ".", "_" or "-"' })
  const id = typeof r['id'] === 'string' ? r['id'] : newRuleId()
  const config = { ...r, id } as RuleConfig
  const matches = ruleMatcher(r, at, errors)
  const reasons = r['reason'] === undefined ? '' : `reason=${([] as unknown[]).concat(r['reason']).join('|')}`
  const source = `rule:${[typeof r['match'] === 'string' ? r['match'] : '', reasons].filter(Boolean).join(' ')}`
  if (r['sequence'] !== undefined) {
    if (r['scenario'] !== undefined || r['p'] !== undefined) errors.push({ pointer: at, message: 'has both sequence and scenario/p; use one' })
    if (!Array.isArray(r['sequence']) || r['sequence'].length === 0) {
      errors.push({ pointer: `${at}/sequence`, message: 'must be a non-empty list of scenario names' })
      return undefined
    }
    const steps = (r['sequence'] as unknown[]).map((s, j) => scenarioAt(s, `${at}/sequence/${j}`, errors))
    return { id, source, config, matches, pick: (_email, n) => steps[Math.min(n, steps.length - 1)]! }
  }
  const scenario = scenarioAt(r['scenario'], `${at}/scenario`, errors)
  if (r['p'] === undefined) {
    if (r['otherwise'] !== undefined) errors.push({ pointer: `${at}/otherwise`, message: 'only goes with p' })
    return { id, source, config, matches, pick: () => scenario! }
  }
  const p = r['p']
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) errors.push({ pointer: `${at}/p`, message: 'must be a probability from 0 to 1' })
  const otherwise = r['otherwise'] === undefined ? ({ name: 'ok', kind: 'ok' } as Scenario) : scenarioAt(r['otherwise'], `${at}/otherwise`, errors)
  return { id, source, config, matches, pick: (email, n) => (draw(seed, email, n) < (p as number) ? scenario! : otherwise!) }
}

function duplicateIds(rules: readonly CompiledRule[], pointerOf: (index: number) => string): ConfigError[] {
  const seen = new Set<string>()
  return rules.flatMap((rule, i) => (seen.has(rule.id) || !seen.add(rule.id) ? [{ pointer: pointerOf(i), message: `id ${JSON.stringify(rule.id)} is used by another rule` }] : []))
}

const withRules = (base: CompiledConfig, rules: readonly CompiledRule[]): CompiledConfig => ({
  ...base,
  rules,
  config: { default: base.defaultScenario.name, rules: rules.map((r) => r.config) },
})

/** Validates a scenario configuration and compiles its matchers once. */
export function compileScenarioConfig(input: unknown, seed: number): ScenarioConfigResult {
  const errors: ConfigError[] = []
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ pointer: '', message: 'scenario configuration must be an object with `default` and/or `rules`' }] }
  }
  const raw = input as Record<string, unknown>
  for (const key of Object.keys(raw)) if (key !== 'default' && key !== 'rules') errors.push({ pointer: `/${key}`, message: 'is not allowed (expected default, rules)' })
  const defaultScenario = raw['default'] === undefined ? ({ name: 'ok', kind: 'ok' } as Scenario) : scenarioAt(raw['default'], '/default', errors)
  const rawRules = raw['rules'] ?? []
  if (!Array.isArray(rawRules)) errors.push({ pointer: '/rules', message: 'must be a list of rules' })
  const rules = (Array.isArray(rawRules) ? rawRules : []).map((rule: unknown, i) => compileRule(rule, `/rules/${i}`, seed, errors))
  const compiled = rules.filter((r): r is CompiledRule => r !== undefined)
  if (compiled.length === rules.length) errors.push(...duplicateIds(compiled, (i) => `/rules/${i}/id`))
  if (errors.length > 0 || !defaultScenario) return { ok: false, errors }
  return { ok: true, book: withRules({ defaultScenario, rules: [], config: {}, seed }, compiled) }
}

/**
 * A configuration file's scenarios (scenarios.yaml, the proxy's --config) with the global
 * --scenario as its default; throws CKIT_MOCK_UNKNOWN_SCENARIO naming the file and pointers.
 */
export function compileScenarioFile(config: unknown, scenario: string | undefined, seed: number, label: string): CompiledConfig {
  if (scenario !== undefined) {
    const parsed = parseScenario(scenario)
    if (!parsed.ok) throw new CkitError('CKIT_MOCK_UNKNOWN_SCENARIO', `scenario ${parsed.message}`, { option: 'scenario' })
  }
  const base = (config ?? {}) as Record<string, unknown>
  const compiled = compileScenarioConfig(scenario === undefined ? base : { ...base, default: scenario }, seed)
  if (!compiled.ok) throw new CkitError('CKIT_MOCK_UNKNOWN_SCENARIO', compiled.errors.map((e) => `${label}${e.pointer}: ${e.message}`).join('; '))
  return compiled.book
}

export type AddRuleResult = { ok: true; config: CompiledConfig; id: string } | { ok: false; errors: ConfigError[] }

/**
 * One more rule, validated like a rule of the full configuration (pointers relative to the rule
 * itself). It goes first: the rule added last wins, as in WireMock, so a test's rule is not
 * shadowed by a broader one from scenarios.yaml.
 */
export function addRule(config: CompiledConfig, rule: unknown): AddRuleResult {
  const errors: ConfigError[] = []
  const compiled = compileRule(rule, '', config.seed, errors)
  if (compiled && config.rules.some((r) => r.id === compiled.id)) errors.push({ pointer: '/id', message: `id ${JSON.stringify(compiled.id)} is used by another rule` })
  if (!compiled || errors.length > 0) return { ok: false, errors }
  return { ok: true, config: withRules(config, [compiled, ...config.rules]), id: compiled.id }
}

/** The configuration without the rule of that id; undefined when there is none. */
export function removeRule(config: CompiledConfig, id: string): CompiledConfig | undefined {
  const rules = config.rules.filter((r) => r.id !== id)
  return rules.length === config.rules.length ? undefined : withRules(config, rules)
}

export interface ScenarioChoice {
  readonly scenario: Scenario
  /** Where it came from: `header`, `rule:<match and/or reason=…>` or `default`. */
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

  /** The scenario for a request: the header's, else the first rule matching its e-mail and reason, else the default. */
  choose(email: string | undefined, header: Scenario | undefined, reason?: string): ScenarioChoice {
    if (header) return this.#drawn(header, 'header', email, undefined)
    // Per request: no rules, no work beyond this test (the hot path of a mock without rules).
    const rule = this.#current.rules.length === 0 ? undefined : this.#current.rules.find((r) => r.matches(email, reason))
    if (rule) {
      const n = this.#next(`${rule.id}\u0000${email?.toLowerCase() ?? ''}`)
      return this.#drawn(rule.pick(email ?? '', n), rule.source, email, n)
    }
    return this.#drawn(this.#current.defaultScenario, 'default', email, undefined)
  }

  #next(key: string): number {
    const n = this.#counters.get(key) ?? 0
    this.#counters.set(key, n + 1)
    return n
  }

  /** A scenario with a latency distribution gets its milliseconds drawn here, from (seed, e-mail, request number). */
  #drawn(scenario: Scenario, source: string, email: string | undefined, n: number | undefined): ScenarioChoice {
    if ((scenario.kind !== 'delay' && scenario.kind !== 'drip') || scenario.latency === undefined) return { scenario, source }
    const who = email?.toLowerCase() ?? ''
    const number = n ?? this.#next(`${source}\u0000${who}`)
    const ms = sampleLatency(scenario.latency, this.#current.seed, who, number)
    // The journal shows what was drawn beside the distribution.
    return { scenario: { ...scenario, name: `${scenario.name} (${ms} ms)`, ms }, source }
  }

  /** Adds one rule in front of the others; counters of the others go on (their sequences do not restart). */
  add(rule: unknown): AddRuleResult {
    const added = addRule(this.#current, rule)
    if (added.ok) this.#current = added.config
    return added
  }

  /** Removes the rule of that id; false when there is none. */
  remove(id: string): boolean {
    const next = removeRule(this.#current, id)
    if (next) this.#current = next
    return next !== undefined
  }

  replace(next: CompiledConfig): void {
    this.#current = next
    this.#counters = new LruCache(this.#counterEntries)
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
