import type { CustomerConnectionResponse } from '../schema/index.js'
import { TemplateEngine, type RenderBudget, type SandboxLimitKind, type TemplateEngineOptions, type TemplateFailureCode } from './engine.js'
import { checkHref } from './href.js'

export interface RenderedLink {
  readonly type: 'link'
  readonly index: number
  readonly pointer: string
  readonly title: string
  readonly description?: string
  readonly href: string
}

export interface RenderedListItem {
  readonly description: string
  readonly value: string
}

export interface RenderedList {
  readonly type: 'list'
  readonly index: number
  readonly pointer: string
  readonly title: string
  readonly items: readonly RenderedListItem[]
}

export type RenderedSection = RenderedLink | RenderedList

export type RenderIssueCode = TemplateFailureCode | 'unsafe_href' | 'suspicious_href' | 'unknown_section_type' | 'invalid_section'

/** A problem in one section: `pointer` names the field, `section` its index in `sections`. */
export interface RenderIssue {
  readonly section: number
  readonly pointer: string
  readonly code: RenderIssueCode
  readonly message: string
  readonly line?: number
  readonly column?: number
  readonly variable?: string
  /** For `limit` and `too_long`: which sandbox limit was hit. */
  readonly limit?: SandboxLimitKind
}

export interface RenderResult {
  /** The sections an agent sees, in order; a section with any error is left out. */
  readonly sections: readonly RenderedSection[]
  readonly warnings: readonly RenderIssue[]
  readonly errors: readonly RenderIssue[]
}

export interface RenderOptions {
  /** Missing variables and unknown section types are errors instead of warnings. */
  readonly strict?: boolean
}

export interface Renderer {
  render(response: CustomerConnectionResponse, options?: RenderOptions): RenderResult
  readonly engine: TemplateEngine
}

type Fields = Record<string, unknown>

/** Collects one section's output and issues; the section is kept only if nothing failed. */
class SectionRun {
  readonly errors: RenderIssue[] = []
  constructor(
    readonly index: number,
    readonly run: ResponseRun,
  ) {}

  get pointer(): string {
    return `/sections/${this.index}`
  }

  fail(pointer: string, code: RenderIssueCode, message: string, extra: Partial<RenderIssue> = {}): void {
    this.errors.push({ section: this.index, pointer, code, message, ...extra })
  }

  /** Renders the string template at `fields[key]`; `undefined` when it failed (already recorded). */
  field(fields: Fields, key: string, pointer: string, required: boolean): string | undefined {
    const source = fields[key]
    if (source === undefined && !required) return undefined
    if (typeof source !== 'string') {
      this.fail(pointer, 'invalid_section', source === undefined ? `${key} is required` : `${key} must be a string`)
      return undefined
    }
    const outcome = this.run.template(source)
    if (!outcome.ok) {
      const { ok: _ok, code, message, ...position } = outcome
      this.fail(pointer, code, message, position)
      return undefined
    }
    for (const variable of outcome.missing) {
      this.run.warnings.push({ section: this.index, pointer, code: 'undefined_variable', message: `undefined variable ${variable} rendered as empty`, variable })
    }
    return outcome.output
  }
}

/** State of one `render` call: scope, the response's shared work and time budget, warnings. */
class ResponseRun {
  readonly warnings: RenderIssue[] = []
  readonly #budget: RenderBudget
  constructor(
    readonly engine: TemplateEngine,
    readonly scope: object,
    readonly strict: boolean,
  ) {
    this.#budget = engine.budget()
  }

  template(source: string) {
    return this.engine.render(source, this.scope, { strict: this.strict, budget: this.#budget })
  }
}

/**
 * A link whose host is a single label (no dot) is almost always a template placeholder left in:
 * in `https://na#.salesforce.com/…` the `#` starts the fragment, so the host is just `na`.
 */
function placeholderHost(href: string, raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(href)
  } catch {
    return undefined
  }
  const host = url.hostname
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || host.includes('.') || host === 'localhost' || host.startsWith('[')) return undefined
  const after = raw.trim().slice(`${url.protocol}//`.length).slice(host.length)
  const placeholder = /^[#?%*]/.test(after) ? `${host}${after[0]}` : host
  return `the link's host is "${host}", a single label: is "${placeholder}" a placeholder left in the URL?${placeholder !== host ? ` ("${after[0]}" ends the host, so the rest is not part of it)` : ''}`
}

function renderLink(s: SectionRun, fields: Fields): RenderedLink | undefined {
  const title = s.field(fields, 'title', `${s.pointer}/title`, true)
  const description = s.field(fields, 'description', `${s.pointer}/description`, false)
  const rawHref = s.field(fields, 'href', `${s.pointer}/href`, true)
  let href: string | undefined
  if (rawHref !== undefined) {
    const verdict = checkHref(rawHref)
    if (verdict.ok) href = verdict.href
    else s.fail(`${s.pointer}/href`, 'unsafe_href', verdict.message)
    const suspicion = verdict.ok ? placeholderHost(verdict.href, rawHref) : undefined
    if (suspicion) s.run.warnings.push({ section: s.index, pointer: `${s.pointer}/href`, code: 'suspicious_href', message: suspicion })
  }
  if (title === undefined || href === undefined || s.errors.length > 0) return undefined
  return { type: 'link', index: s.index, pointer: s.pointer, title, ...(description === undefined ? {} : { description }), href }
}

function renderList(s: SectionRun, fields: Fields): RenderedList | undefined {
  const title = s.field(fields, 'title', `${s.pointer}/title`, true)
  const rawItems = fields['items']
  if (!Array.isArray(rawItems)) {
    s.fail(`${s.pointer}/items`, 'invalid_section', 'items must be an array')
    return undefined
  }
  const items: RenderedListItem[] = []
  rawItems.forEach((item: unknown, i) => {
    const pointer = `${s.pointer}/items/${i}`
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      s.fail(pointer, 'invalid_section', 'list item must be an object')
      return
    }
    const description = s.field(item as Fields, 'description', `${pointer}/description`, true)
    const value = s.field(item as Fields, 'value', `${pointer}/value`, true)
    if (description !== undefined && value !== undefined) items.push({ description, value })
  })
  if (title === undefined || s.errors.length > 0) return undefined
  return { type: 'list', index: s.index, pointer: s.pointer, title, items }
}

const SECTION_RENDERERS: Record<string, (s: SectionRun, fields: Fields) => RenderedSection | undefined> = {
  link: renderLink,
  list: renderList,
}

export function createRenderer(options: TemplateEngineOptions = {}): Renderer {
  const engine = new TemplateEngine(options)
  return {
    engine,
    render(response, renderOptions = {}) {
      const strict = renderOptions.strict === true
      const input = response as unknown as { customer?: unknown; sections?: unknown }
      const customer = input?.customer !== null && typeof input?.customer === 'object' ? input.customer : {}
      // The only scope templates see: `data.customer.*` and nothing else.
      const run = new ResponseRun(engine, { data: { customer } }, strict)
      const sections: RenderedSection[] = []
      const errors: RenderIssue[] = []
      const rawSections: unknown[] = Array.isArray(input?.sections) ? input.sections : []
      rawSections.forEach((raw, index) => {
        const s = new SectionRun(index, run)
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
          s.fail(s.pointer, 'invalid_section', 'section must be an object')
        } else {
          const fields = raw as Fields
          const renderSection = typeof fields['type'] === 'string' && Object.hasOwn(SECTION_RENDERERS, fields['type']) ? SECTION_RENDERERS[fields['type']] : undefined
          if (renderSection) {
            const rendered = renderSection(s, fields)
            if (rendered) sections.push(rendered)
          } else {
            const issue: RenderIssue = {
              section: index,
              pointer: `${s.pointer}/type`,
              code: 'unknown_section_type',
              message: `section type ${JSON.stringify(fields['type'])} is not known (link, list); ${strict ? 'rejected in strict mode' : 'skipped'}`,
            }
            if (strict) s.errors.push(issue)
            else run.warnings.push(issue)
          }
        }
        errors.push(...s.errors)
      })
      return { sections, warnings: run.warnings, errors }
    },
  }
}

let defaultRenderer: Renderer | undefined

function getDefaultRenderer(): Renderer {
  defaultRenderer ??= createRenderer()
  return defaultRenderer
}

/** The process-wide sandbox behind `render()`; the switch evaluator uses it too (one Liquid, one cache). */
export function defaultEngine(): TemplateEngine {
  return getDefaultRenderer().engine
}

/** Renders a response with the default limits and a process-wide template cache. Never throws. */
export function render(response: CustomerConnectionResponse, options: RenderOptions = {}): RenderResult {
  return getDefaultRenderer().render(response, options)
}
