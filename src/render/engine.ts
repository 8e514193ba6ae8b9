import { Context, defaultOperators, Drop, Liquid, LiquidError, Output, TokenKind, toValue, toValueSync, UndefinedVariableError, type Template } from 'liquidjs'
import { LruCache } from '../lru.js'
import { resolveLimits, type RenderLimits } from './limits.js'

/** Why a template could not be turned into text. */
export type TemplateFailureCode = 'syntax' | 'undefined_variable' | 'limit' | 'too_long' | 'render_failed'

/** Which sandbox limit stopped a template (`code: 'limit'` or `'too_long'`). */
export type SandboxLimitKind = 'template_size' | 'work' | 'response_work' | 'time' | 'response_time' | 'output' | 'depth'

export type TemplateOutcome =
  | { ok: true; output: string; missing: readonly string[] }
  | { ok: false; code: TemplateFailureCode; message: string; limit?: SandboxLimitKind; line?: number; column?: number; variable?: string }

type Compiled =
  | {
      ok: true
      templates: Template[]
      /** Every global variable path the template reads, as liquidjs's analysis finds them. */
      globals: readonly (readonly unknown[])[]
      /** The static ones, for naming a missing variable. */
      variables: readonly (readonly (string | number)[])[]
      straight: readonly StraightPart[] | undefined
    }
  | { ok: false; failure: TemplateOutcome & { ok: false } }

/** Tags that read other templates (from the file system by default) or wrap layouts: removed, so using one is a parse error. */
const FORBIDDEN_TAGS = ['include', 'render', 'layout', 'block'] as const

/** Liquid's built-in properties of arrays and strings that are not own properties. */
const LIQUID_PROPERTIES = new Set(['size', 'first', 'last'])

/** Filters whose work grows faster than their input: charged n·log2(n) instead of n. */
const SUPERLINEAR_FILTERS = new Set(['sort', 'sort_natural', 'sample', 'uniq', 'group_by', 'group_by_exp', 'where_exp', 'reject_exp', 'find_exp', 'find_index_exp', 'has_exp'])

/**
 * Units charged per node list rendered and per node in it, and per filter call. Measured on the
 * machine in bench/results.md: a loop iteration with an `if` costs ~3 µs and is charged 24 units, so a
 * million units is ~100 ms whatever mix of nodes, filters and data a template uses.
 */
const NODE_UNITS = 8
const FILTER_CALL_UNITS = 2
const OPERATOR_UNITS = 8

/** Thrown inside Liquid when a limit is hit; liquidjs wraps it, `#failure` finds it again. */
class SandboxLimitError extends Error {
  constructor(
    readonly limit: SandboxLimitKind,
    message: string,
  ) {
    super(message)
  }
}

/** Literal text, or one `{{ a.b[0] | filter: "literal" }}` output of a straight-line template. */
type StraightPart = string | { readonly path: readonly (string | number)[]; readonly filters: readonly StraightFilter[] }

/** What liquidjs's Filter.render uses (private in its types): the handler and what it is called with. */
interface StraightFilter {
  readonly handler: (...args: unknown[]) => unknown
  readonly token: unknown
  readonly liquid: unknown
  readonly args: readonly unknown[]
}

/** The two Context methods liquidjs uses to read a variable (private in its types). */
interface ScopeReader {
  findScope(key: string | number): unknown
  readProperty(obj: unknown, key: string | number): unknown
}

/**
 * Most sidebar templates are text and `{{ data.customer.x | filter: "literal" }}` outputs, with no
 * tags, operators or computed keys. Those are evaluated directly, with liquidjs's own property
 * reads, filters, metering and emitter but without its generator machinery (the largest cost of
 * a cached render); anything else returns undefined and renders through liquidjs.
 */
function straightLine(templates: readonly Template[]): StraightPart[] | undefined {
  const parts: StraightPart[] = []
  for (const template of templates) {
    if (template.token.kind === TokenKind.HTML) {
      parts.push((template as unknown as { str: string }).str)
      continue
    }
    if (!(template instanceof Output)) return undefined
    const { initial, filters } = template.value
    const token = initial.postfix[0] as { kind?: number; variable?: unknown; props?: readonly object[] } | undefined
    if (initial.postfix.length !== 1 || token?.kind !== TokenKind.PropertyAccess || token.variable !== undefined || !token.props?.length) return undefined
    if (!token.props.every((prop) => 'content' in prop)) return undefined
    const path = token.props.map((prop) => (prop as { content: string | number }).content)
    const literalFilters: StraightFilter[] = []
    for (const filter of filters as unknown as (Omit<StraightFilter, 'args'> & { args: readonly unknown[] })[]) {
      if (!filter.args.every((arg) => typeof arg === 'object' && arg !== null && !Array.isArray(arg) && 'content' in arg)) return undefined
      literalFilters.push({ handler: filter.handler, token: filter.token, liquid: filter.liquid, args: filter.args.map((arg) => (arg as { content: unknown }).content) })
    }
    parts.push({ path, filters: literalFilters })
  }
  return parts
}

const isIterator = (value: unknown): value is Iterator<unknown> => typeof value === 'object' && value !== null && typeof (value as Iterator<unknown>).next === 'function' && typeof (value as Iterator<unknown>).throw === 'function'

/** The straight-line path met something only liquidjs handles (an undefined variable, a drop, an error). */
const NOT_STRAIGHT = Symbol('not straight')

/** A response's (or a switch evaluation's) shared allowance of work and time. */
export class RenderBudget {
  used = 0
  readonly deadline: number
  constructor(
    readonly limits: RenderLimits,
    readonly now: () => number,
  ) {
    this.deadline = now() + limits.responseTimeMs
  }
}

const sizeOf = (value: unknown): number => (typeof value === 'string' || Array.isArray(value) ? value.length : 1)

/**
 * Liquid's `memoryLimit` and `renderLimit` for one template render. liquidjs already calls
 * `use(n)` when a filter allocates n items; the engine adds charges for nodes, filter inputs,
 * operators and output, so every step that can repeat is counted, and counting, not the clock,
 * is what stops a template.
 */
class Meter {
  #used = 0
  readonly #deadline: number
  constructor(
    readonly budget: RenderBudget,
  ) {
    this.#deadline = Math.min(budget.now() + budget.limits.templateTimeMs, budget.deadline)
  }

  use(count: number): void {
    const units = +count
    if (!(units > 0)) return
    const { templateWorkUnits, responseWorkUnits } = this.budget.limits
    // Checked before counting: a refused charge (a 100-million range) must not use up the response's budget.
    if (this.#used + units > templateWorkUnits) throw new SandboxLimitError('work', `the template does more than ${templateWorkUnits} units of work (loops, filters or data too large)`)
    if (this.budget.used + units > responseWorkUnits) throw new SandboxLimitError('response_work', `the templates together do more than ${responseWorkUnits} units of work`)
    this.#used += units
    this.budget.used += units
  }

  /**
   * The wall-clock backstop applies only once a template has done real work (1 % of its
   * allowance): a busy machine can slow an ordinary template down, but never make it fail.
   */
  check(): void {
    if (this.#used * 100 < this.budget.limits.templateWorkUnits && this.budget.used * 100 < this.budget.limits.responseWorkUnits) return
    const now = this.budget.now()
    if (now <= this.#deadline) return
    const { templateTimeMs, responseTimeMs } = this.budget.limits
    if (now > this.budget.deadline) throw new SandboxLimitError('response_time', `the templates together ran longer than ${responseTimeMs} ms`)
    throw new SandboxLimitError('time', `the template ran longer than ${templateTimeMs} ms`)
  }
}

/** liquidjs's output semantics (nil is empty, arrays join), with a cap checked on every write. */
function outputText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return ''
  if (value instanceof Drop) return outputText((value as { valueOf(): unknown }).valueOf())
  if (Array.isArray(value)) return value.map(outputText).join('')
  return String(value)
}

class CappedEmitter {
  buffer = ''
  constructor(
    readonly maxChars: number,
    readonly meter: Meter,
  ) {}
  write(html: unknown): void {
    const text = outputText(html)
    this.meter.use(text.length)
    if (this.buffer.length + text.length > this.maxChars) throw new SandboxLimitError('output', `rendered text is longer than ${this.maxChars} characters`)
    this.buffer += text
  }
}

function position(error: LiquidError): { line?: number; column?: number } {
  const pos = (error as LiquidError & { token?: { getPosition?: () => [number, number] } }).token?.getPosition?.()
  return pos ? { line: pos[0], column: pos[1] } : {}
}

/** liquidjs appends ", line:1, col:4" to messages; the position is reported separately. */
const cleanMessage = (message: string): string => message.replace(/, line:\d+, col:\d+$/, '').split('\n')[0]!

/** The error liquidjs wrapped (a RenderError around our limit, a RangeError…). */
function rootCause(error: unknown): unknown {
  let current = error
  for (let i = 0; i < 10 && current instanceof LiquidError; i++) {
    const original = (current as LiquidError & { originalError?: unknown }).originalError
    if (original === undefined) break
    current = original
  }
  return current
}

function resolvePath(scope: unknown, path: readonly (string | number)[]): boolean {
  let node: unknown = scope
  for (const segment of path) {
    if (node === null || node === undefined) return false
    const key = String(segment)
    if ((Array.isArray(node) || typeof node === 'string') && LIQUID_PROPERTIES.has(key)) {
      node = key === 'size' ? node.length : key === 'first' ? node[0] : node[node.length - 1]
      continue
    }
    if (typeof node !== 'object' || !Object.hasOwn(node, key)) return false
    node = (node as Record<string, unknown>)[key]
  }
  return node !== undefined
}

export interface TemplateEngineOptions extends Partial<RenderLimits> {
  /**
   * Minutes west of UTC for the `date` filter (liquidjs convention). Default 0: the sidebar must
   * not depend on the server's time zone, and a fixed zone and locale make `date` about 3× faster.
   */
  readonly timezoneOffset?: number
  /** Locale of month and day names in `date` (default en-US). */
  readonly locale?: string
  /** Clock in ms for the wall-clock backstops (default `performance.now`); tests slow it down. */
  readonly now?: () => number
  /**
   * Applied to every `{{ … }}` output (never to the template's literal text), e.g. percent-encoding
   * for URLs. With it, the `raw` filter is removed, so a template cannot opt out.
   */
  readonly outputEscape?: (text: string) => string
  /**
   * @internal Evaluate straight-line templates directly (default true). Off, every template
   * renders through liquidjs: the tests compare the two.
   */
  readonly straightLine?: boolean
}

export interface RenderTemplateOptions {
  /** Missing variables are an error instead of rendering empty. */
  readonly strict: boolean
  /** The allowance shared with the other templates of the same response; a fresh one when omitted. */
  readonly budget?: RenderBudget
}

/** `date` inputs and arguments longer than this are not memoised: real dates are short, and keys stay cheap. */
const DATE_MEMO_KEY_CHARS = 64
const DATE_MEMO_ENTRIES = 1000

/**
 * The one Liquid sandbox of connection-kit, shared by the renderer and the switch evaluator:
 * no file system, no include/render/layout, own properties only, counted work, capped output,
 * and wall-clock backstops. Parsed templates are cached (compile once, render many), per engine.
 */
export class TemplateEngine {
  readonly limits: RenderLimits
  readonly #liquid: Liquid
  readonly #cache: LruCache<string, Compiled>
  readonly #now: () => number
  readonly #straightLine: boolean

  constructor(options: TemplateEngineOptions = {}) {
    const { timezoneOffset, locale, now, outputEscape, straightLine: straight, ...limits } = options
    this.#straightLine = straight !== false
    this.limits = resolveLimits(limits)
    this.#now = now ?? (() => performance.now())
    this.#liquid = new Liquid({
      // An in-memory template map: even if a file tag came back, it could not reach the disk.
      templates: {},
      relativeReference: false,
      ownPropertyOnly: true,
      strictFilters: true,
      strictVariables: true,
      // `{% if x %}` and `| default:` are how a template handles absent data; they are not mistakes.
      lenientIf: true,
      // This engine's own copy: the metering below replaces each operator, and liquidjs's default
      // object is shared by every instance, so each new engine wrapped the others' operators again.
      operators: { ...defaultOperators },
      parseLimit: this.limits.maxTemplateChars,
      timezoneOffset: timezoneOffset ?? 0,
      locale: locale ?? 'en-US',
      ...(outputEscape ? { outputEscape: (value: unknown) => outputEscape(outputText(value)) } : {}),
    })
    for (const tag of FORBIDDEN_TAGS) delete this.#liquid.tags[tag]
    if (outputEscape) delete this.#liquid.filters['raw']
    // Memoised first, then metered: a remembered date is charged like any other filter call.
    this.#memoiseDate()
    this.#meterWork()
    this.#cache = new LruCache(Number.MAX_SAFE_INTEGER, this.limits.cacheChars)
  }

  /**
   * Charges work everywhere a template can repeat it: each rendered node list (loops render
   * theirs once per item), each filter call by the size of its input, each operator by the size
   * of its operands, and every character written (capture included).
   */
  #meterWork(): void {
    const liquid = this.#liquid
    const maxOutputChars = this.limits.maxOutputChars
    const renderer = liquid.renderer
    const renderTemplates = renderer.renderTemplates.bind(renderer)
    renderer.renderTemplates = function* (templates, ctx, emitter) {
      const meter = ctx.memoryLimit as unknown as Meter
      meter.use(NODE_UNITS * (1 + templates.length))
      return yield* renderTemplates(templates, ctx, emitter ?? new CappedEmitter(maxOutputChars, meter))
    }
    for (const [name, filter] of Object.entries(liquid.filters)) {
      const handler = typeof filter === 'function' ? filter : filter.handler
      const superlinear = SUPERLINEAR_FILTERS.has(name)
      liquid.registerFilter(name, function (this: { context: Context }, input: unknown, ...args: unknown[]) {
        const size = sizeOf(input)
        this.context.memoryLimit.use(FILTER_CALL_UNITS + (superlinear ? size * Math.max(1, Math.ceil(Math.log2(size + 1))) : size) + args.reduce<number>((sum, arg) => sum + sizeOf(arg), 0))
        return handler.call(this as never, input, ...args)
      })
    }
    const operators = liquid.options.operators as Record<string, (...args: unknown[]) => unknown>
    for (const [name, operator] of Object.entries(operators)) {
      operators[name] = function (this: unknown, ...args: unknown[]) {
        // Operands come first, the context last; summed in place, no copy per comparison.
        const ctx = args[args.length - 1] as Context
        let units = OPERATOR_UNITS
        for (let i = 0; i < args.length - 1; i++) units += sizeOf(args[i])
        ctx.memoryLimit.use(units)
        return operator.apply(this, args)
      }
    }
  }

  /**
   * liquidjs builds Intl formatters on every `date` call (~50–150 µs for month names), which
   * dominated a 10-section render. With zone and locale fixed per engine, `date` of a fixed input
   * is pure, so results are memoised — only for short inputs, so neither the key nor the memo
   * can grow with what an endpoint sends; "now"/"today" are never cached.
   */
  #memoiseDate(): void {
    const original = this.#liquid.filters['date']
    if (!original) return
    const handler = typeof original === 'function' ? original : original.handler
    // Each result remembers the work liquidjs charged computing it, charged again on a hit, so a
    // render costs the same units whether or not a date was seen before.
    const memo = new LruCache<string, { output: unknown; units: number }>(DATE_MEMO_ENTRIES)
    const short = (value: unknown) => value === undefined || typeof value === 'number' || (typeof value === 'string' && value.length <= DATE_MEMO_KEY_CHARS)
    this.#liquid.registerFilter('date', function (this: { context: Context }, input: unknown, ...args: unknown[]) {
      if (input === 'now' || input === 'today' || input === undefined || !short(input) || !args.every(short)) return handler.call(this as never, input, ...args)
      const meter = this.context.memoryLimit as unknown as Meter
      const key = `${typeof input}:${String(input)}\u0000${args.join('\u0000')}`
      const hit = memo.get(key)
      if (hit !== undefined) {
        meter.use(hit.units)
        return hit.output
      }
      const before = meter.budget.used
      const output: unknown = handler.call(this as never, input, ...args)
      memo.set(key, { output, units: meter.budget.used - before })
      return output
    })
  }

  get cacheSize(): number {
    return this.#cache.size
  }

  /** The underlying sandboxed Liquid instance. */
  get liquid(): Liquid {
    return this.#liquid
  }

  /** A fresh allowance for one response or one switch evaluation. */
  budget(): RenderBudget {
    return new RenderBudget(this.limits, this.#now)
  }

  #compile(source: string): Compiled {
    const cached = this.#cache.get(source)
    if (cached) return cached
    let compiled: Compiled
    try {
      const templates = this.#liquid.parse(source)
      // Only static paths can be checked against a scope; dynamic ones (a[b.c]) fall back to the error's name.
      const globals = this.#liquid.globalVariableSegmentsSync(templates)
      const variables = globals.filter((path): path is (string | number)[] => path.every((segment) => typeof segment !== 'object'))
      compiled = { ok: true, templates, globals, variables, straight: this.#straightLine ? straightLine(templates) : undefined }
    } catch (error) {
      compiled = { ok: false, failure: this.#failure(error, 'syntax') }
    }
    this.#cache.set(source, compiled, source.length)
    return compiled
  }

  /**
   * The root variables a template reads, however it reads them (`data.customer.x`,
   * `data["customer"]`, `{% assign c = data %}{{ c.customer }}`…), from the parsed template:
   * the first segment of every global variable path. `undefined` when the template does not parse.
   */
  globalPaths(source: string): readonly (readonly unknown[])[] | undefined {
    if (!source.includes('{')) return []
    const compiled = this.#compile(source)
    // Analysed once, when the template is parsed: a switch asks this on every evaluation.
    return compiled.ok ? compiled.globals : undefined
  }

  #failure(error: unknown, fallback: TemplateFailureCode): TemplateOutcome & { ok: false } {
    const cause = rootCause(error)
    if (cause instanceof SandboxLimitError) {
      return { ok: false, code: cause.limit === 'output' ? 'too_long' : 'limit', limit: cause.limit, message: cause.message, ...(error instanceof LiquidError ? position(error) : {}) }
    }
    if (cause instanceof RangeError && /call stack/i.test(cause.message)) {
      return { ok: false, code: 'limit', limit: 'depth', message: 'the data is nested too deeply to render' }
    }
    if (error instanceof LiquidError) {
      if (error.name === 'AssertionError' || /^parse length limit exceeded/.test(error.message)) {
        return { ok: false, code: 'limit', limit: 'template_size', message: `template is longer than ${this.limits.maxTemplateChars} characters` }
      }
      const forbidden = /^tag "(\w+)" not found/.exec(error.message)?.[1]
      const message = forbidden && (FORBIDDEN_TAGS as readonly string[]).includes(forbidden)
        ? `tag "${forbidden}" is not available: templates cannot load other templates or files`
        : cleanMessage(error.message)
      return { ok: false, code: fallback, message, ...position(error) }
    }
    return { ok: false, code: 'render_failed', message: cause instanceof Error ? cause.message : String(cause) }
  }

  /** A straight-line template, charged exactly as liquidjs would be; NOT_STRAIGHT leaves the budget as it found it. */
  #runStraight(parts: readonly StraightPart[], scope: object, budget: RenderBudget): string | typeof NOT_STRAIGHT {
    const usedBefore = budget.used
    const { meter, ctx, emitter } = this.#renderState(scope, true, budget)
    try {
      meter.use(NODE_UNITS * (1 + parts.length))
      for (const part of parts) {
        meter.check()
        if (typeof part === 'string') {
          emitter.write(part)
          continue
        }
        const reader = ctx as unknown as ScopeReader
        let value: unknown = reader.findScope(part.path[0]!)
        for (const key of part.path) {
          value = reader.readProperty(value, key)
          if (value === undefined || isIterator(value) || value instanceof Promise) return this.#notStraight(budget, usedBefore)
        }
        for (const filter of part.filters) {
          value = filter.handler.apply({ context: ctx, token: filter.token, liquid: filter.liquid }, [value, ...filter.args])
          if (isIterator(value)) value = toValueSync(value)
        }
        emitter.write(toValue(value))
      }
      return emitter.buffer
    } catch {
      return this.#notStraight(budget, usedBefore)
    }
  }

  #notStraight(budget: RenderBudget, usedBefore: number): typeof NOT_STRAIGHT {
    budget.used = usedBefore
    return NOT_STRAIGHT
  }

  /** One template render's meter (charging the shared budget), Liquid context and capped output: the same for both paths. */
  #renderState(scope: object, strictVariables: boolean, budget: RenderBudget): { meter: Meter; ctx: Context; emitter: CappedEmitter } {
    const meter = new Meter(budget)
    const limiter = meter as unknown as Context['memoryLimit']
    const ctx = new Context(scope, this.#liquid.options, { sync: true, strictVariables }, { memoryLimit: limiter, renderLimit: limiter, liquid: this.#liquid })
    return { meter, ctx, emitter: new CappedEmitter(this.limits.maxOutputChars, meter) }
  }

  #run(templates: Template[], scope: object, strictVariables: boolean, budget: RenderBudget): string {
    const { ctx, emitter } = this.#renderState(scope, strictVariables, budget)
    toValueSync(this.#liquid.renderer.renderTemplates(templates, ctx, emitter))
    return emitter.buffer
  }

  /** Renders one template against a scope. Never throws. */
  render(source: string, scope: object, options: RenderTemplateOptions): TemplateOutcome {
    if (typeof source !== 'string') return { ok: false, code: 'render_failed', message: 'a template must be a string' }
    if (source.length > this.limits.maxTemplateChars) {
      return { ok: false, code: 'limit', limit: 'template_size', message: `template is longer than ${this.limits.maxTemplateChars} characters` }
    }
    // Plain text is its own rendering; labels like "Plan type" skip Liquid entirely.
    if (!source.includes('{')) {
      if (source.length > this.limits.maxOutputChars) return { ok: false, code: 'too_long', limit: 'output', message: `rendered text is longer than ${this.limits.maxOutputChars} characters` }
      return { ok: true, output: source, missing: [] }
    }
    const compiled = this.#compile(source)
    if (!compiled.ok) return compiled.failure
    const budget = options.budget ?? this.budget()
    if (compiled.straight) {
      const output = this.#runStraight(compiled.straight, scope, budget)
      if (output !== NOT_STRAIGHT) return { ok: true, output, missing: [] }
    }
    try {
      return { ok: true, output: this.#run(compiled.templates, scope, true, budget), missing: [] }
    } catch (error) {
      if (!(rootCause(error) instanceof UndefinedVariableError) && !(error instanceof UndefinedVariableError)) return this.#failure(error, 'render_failed')
      const missing = compiled.variables.filter((path) => !resolvePath(scope, path)).map((path) => path.join('.'))
      if (missing.length === 0) missing.push(/undefined variable: ([^,]+)/.exec((error as Error).message)?.[1] ?? 'unknown')
      if (options.strict) {
        return { ok: false, code: 'undefined_variable', message: `undefined variable ${missing.join(', ')}`, variable: missing[0]!, ...position(error as LiquidError) }
      }
      try {
        return { ok: true, output: this.#run(compiled.templates, scope, false, budget), missing: [...new Set(missing)] }
      } catch (retryError) {
        return this.#failure(retryError, 'render_failed')
      }
    }
  }
}
