import { AssertionError, Liquid, LiquidError, UndefinedVariableError, type Template } from 'liquidjs'
import { LruCache } from '../lru.js'
import { RENDER_DEFAULTS, type RenderLimits } from './limits.js'

/** Why a template could not be turned into text. */
export type TemplateFailureCode = 'syntax' | 'undefined_variable' | 'limit' | 'too_long' | 'render_failed'

export type TemplateOutcome =
  | { ok: true; output: string; missing: readonly string[] }
  | { ok: false; code: TemplateFailureCode; message: string; line?: number; column?: number; variable?: string }

type Compiled =
  | { ok: true; templates: Template[]; variables: readonly (readonly (string | number)[])[] }
  | { ok: false; failure: TemplateOutcome & { ok: false } }

/** Tags that read other templates (from the file system by default) or wrap layouts: removed, so using one is a parse error. */
const FORBIDDEN_TAGS = ['include', 'render', 'layout', 'block'] as const

/** Liquid's built-in properties of arrays and strings that are not own properties. */
const LIQUID_PROPERTIES = new Set(['size', 'first', 'last'])

function position(error: LiquidError): { line?: number; column?: number } {
  const pos = (error as LiquidError & { token?: { getPosition?: () => [number, number] } }).token?.getPosition?.()
  return pos ? { line: pos[0], column: pos[1] } : {}
}

/** liquidjs appends ", line:1, col:4" to messages; the position is reported separately. */
const cleanMessage = (message: string): string => message.replace(/, line:\d+, col:\d+$/, '').split('\n')[0]!

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
}

export interface RenderTemplateOptions {
  /** Missing variables are an error instead of rendering empty. */
  readonly strict: boolean
  /** Wall-clock budget for this render, in ms. */
  readonly timeMs: number
}

/**
 * The one Liquid sandbox of connection-kit, shared by the renderer and the switch evaluator:
 * no file system, no include/render/layout, own properties only, parse/time/memory limits.
 * Parsed templates are cached (compile once, render many).
 */
export class TemplateEngine {
  readonly limits: RenderLimits
  readonly #liquid: Liquid
  readonly #cache: LruCache<string, Compiled>

  constructor(options: TemplateEngineOptions = {}) {
    const { timezoneOffset: _tz, locale: _locale, ...limits } = options
    this.limits = Object.freeze({ ...RENDER_DEFAULTS, ...limits })
    this.#liquid = new Liquid({
      // An in-memory template map: even if a file tag came back, it could not reach the disk.
      templates: {},
      relativeReference: false,
      ownPropertyOnly: true,
      strictFilters: true,
      strictVariables: true,
      // `{% if x %}` and `| default:` are how a template handles absent data; they are not mistakes.
      lenientIf: true,
      parseLimit: this.limits.maxTemplateChars,
      renderLimit: this.limits.templateTimeMs,
      memoryLimit: this.limits.memoryUnits,
      timezoneOffset: options.timezoneOffset ?? 0,
      locale: options.locale ?? 'en-US',
    })
    for (const tag of FORBIDDEN_TAGS) delete this.#liquid.tags[tag]
    this.#memoiseDate()
    this.#cache = new LruCache(this.limits.cacheEntries)
  }

  /**
   * liquidjs builds Intl formatters on every `date` call (~50–150 µs for month names), which
   * dominated a 10-section render. With zone and locale fixed per engine, `date` of a fixed input
   * is pure, so results are memoised; "now"/"today" are never cached.
   */
  #memoiseDate(): void {
    const original = this.#liquid.filters['date']
    if (!original) return
    const handler = typeof original === 'function' ? original : original.handler
    const memo = new LruCache<string, unknown>(this.limits.cacheEntries)
    this.#liquid.registerFilter('date', function (this: unknown, input: unknown, ...args: unknown[]) {
      const isFixed = (typeof input === 'string' && input !== 'now' && input !== 'today') || typeof input === 'number'
      if (!isFixed || !args.every((a) => a === undefined || typeof a === 'string' || typeof a === 'number')) return handler.call(this as never, input, ...args)
      const key = JSON.stringify([input, ...args])
      const hit = memo.get(key)
      if (hit !== undefined) return hit
      const output: unknown = handler.call(this as never, input, ...args)
      memo.set(key, output)
      return output
    })
  }

  get cacheSize(): number {
    return this.#cache.size
  }

  /** The underlying sandboxed Liquid instance (for evaluating expressions with the same limits). */
  get liquid(): Liquid {
    return this.#liquid
  }

  #compile(source: string): Compiled {
    const cached = this.#cache.get(source)
    if (cached) return cached
    let compiled: Compiled
    try {
      const templates = this.#liquid.parse(source)
      // Only static paths can be checked against a scope; dynamic ones (a[b.c]) fall back to the error's name.
      const variables = this.#liquid
        .globalVariableSegmentsSync(templates)
        .filter((path): path is (string | number)[] => path.every((segment) => typeof segment !== 'object'))
      compiled = { ok: true, templates, variables }
    } catch (error) {
      compiled = { ok: false, failure: this.#failure(error, 'syntax') }
    }
    this.#cache.set(source, compiled)
    return compiled
  }

  #failure(error: unknown, fallback: TemplateFailureCode): TemplateOutcome & { ok: false } {
    if (error instanceof AssertionError) {
      // parseLimit throws an AssertionError, not a LiquidError.
      return { ok: false, code: 'limit', message: `template is longer than ${this.limits.maxTemplateChars} characters` }
    }
    if (error instanceof LiquidError) {
      const forbidden = /^tag "(\w+)" not found/.exec(error.message)?.[1]
      const message = forbidden && (FORBIDDEN_TAGS as readonly string[]).includes(forbidden)
        ? `tag "${forbidden}" is not available: templates cannot load other templates or files`
        : cleanMessage(error.message)
      const isLimit = /limit exceeded/.test(message)
      return {
        ok: false,
        code: isLimit ? 'limit' : fallback,
        message: isLimit ? `${message} (the template does too much work)` : message,
        ...position(error),
      }
    }
    return { ok: false, code: 'render_failed', message: error instanceof Error ? error.message : String(error) }
  }

  #run(templates: Template[], scope: object, strictVariables: boolean, timeMs: number): string {
    return String(this.#liquid.renderSync(templates, scope, { strictVariables, renderLimit: Math.max(1, timeMs) }))
  }

  #checkLength(output: string, missing: readonly string[]): TemplateOutcome {
    if (output.length > this.limits.maxOutputChars) {
      return { ok: false, code: 'too_long', message: `rendered text is ${output.length} characters, over the ${this.limits.maxOutputChars} limit` }
    }
    return { ok: true, output, missing }
  }

  /** Renders one template against a scope. Never throws. */
  render(source: string, scope: object, options: RenderTemplateOptions): TemplateOutcome {
    if (source.length > this.limits.maxTemplateChars) {
      return { ok: false, code: 'limit', message: `template is longer than ${this.limits.maxTemplateChars} characters` }
    }
    // Plain text is its own rendering; labels like "Plan type" skip Liquid entirely.
    if (!source.includes('{')) return this.#checkLength(source, [])
    const compiled = this.#compile(source)
    if (!compiled.ok) return compiled.failure
    try {
      return this.#checkLength(this.#run(compiled.templates, scope, true, options.timeMs), [])
    } catch (error) {
      if (!(error instanceof UndefinedVariableError)) return this.#failure(error, 'render_failed')
      const missing = compiled.variables.filter((path) => !resolvePath(scope, path)).map((path) => path.join('.'))
      if (missing.length === 0) missing.push(/undefined variable: ([^,]+)/.exec(error.message)?.[1] ?? 'unknown')
      if (options.strict) {
        return { ok: false, code: 'undefined_variable', message: `undefined variable ${missing.join(', ')}`, variable: missing[0]!, ...position(error) }
      }
      try {
        return this.#checkLength(this.#run(compiled.templates, scope, false, options.timeMs), [...new Set(missing)])
      } catch (retryError) {
        return this.#failure(retryError, 'render_failed')
      }
    }
  }
}
