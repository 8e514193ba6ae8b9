import { TemplateEngine, type RenderBudget } from '../render/index.js'
import { appendPointer } from '../schema/index.js'

/** The sandbox a switch evaluation runs in: one engine, one work and time budget for the whole evaluation. */
export interface Sandbox {
  readonly engine: TemplateEngine
  readonly budget: RenderBudget
}

export const sandboxFor = (engine: TemplateEngine): Sandbox => ({ engine, budget: engine.budget() })

export type ConditionOutcome = { ok: true; value: boolean } | { ok: false; message: string }

/** Yetto's `"{% <expression> %}"`, or an error message when it is not one expression in one tag. */
function conditionTemplate(source: string): { ok: true; template: string } | { ok: false; message: string } {
  const match = /^\s*\{%-?([\s\S]*?)-?%\}\s*$/.exec(source)
  const expression = match?.[1]?.trim()
  if (!expression) return { ok: false, message: 'a condition is a Liquid expression in one tag, like "{% data.yetto.message.visibility == \\"internal\\" %}"' }
  // One expression only: a second tag inside would run arbitrary Liquid, not test a condition.
  if (/\{%|%\}|\{\{|\}\}/.test(expression)) return { ok: false, message: 'a condition must be a single expression, without nested tags' }
  return { ok: true, template: `{% if ${expression} %}1{% else %}0{% endif %}` }
}

/**
 * Evaluates Yetto's `"{% <expression> %}"` by rendering `{% if <expression> %}` in the sandbox.
 * An undefined variable is false (lenientIf), like a missing field in Yetto's own evaluation.
 */
export function evaluateCondition(sandbox: Sandbox | TemplateEngine, source: string, scope: object): ConditionOutcome {
  const { engine, budget } = sandbox instanceof TemplateEngine ? sandboxFor(sandbox) : sandbox
  const template = conditionTemplate(source)
  if (!template.ok) return template
  const outcome = engine.render(template.template, scope, { strict: false, budget })
  if (!outcome.ok) return { ok: false, message: outcome.message }
  if (outcome.output !== '1' && outcome.output !== '0') return { ok: false, message: 'the condition did not evaluate to true or false' }
  return { ok: true, value: outcome.output === '1' }
}

export type RenderOutcome = { ok: true; value: string } | { ok: false; message: string }

export function renderString(sandbox: Sandbox, source: string, scope: object): RenderOutcome {
  const outcome = sandbox.engine.render(source, scope, { strict: false, budget: sandbox.budget })
  return outcome.ok ? { ok: true, value: outcome.output } : { ok: false, message: outcome.message }
}

/** Renders every string inside a JSON value (http_request bodies); other values pass through. Iterative: a body can be as deep as the schema allows. */
export function renderDeep(sandbox: Sandbox, value: unknown, scope: object, pointer: string, errors: string[]): unknown {
  if (typeof value === 'string') {
    const outcome = renderString(sandbox, value, scope)
    if (!outcome.ok) errors.push(`${pointer}: ${outcome.message}`)
    return outcome.ok ? outcome.value : value
  }
  if (Array.isArray(value)) return value.map((item, i) => renderDeep(sandbox, item, scope, appendPointer(pointer, i), errors))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = renderDeep(sandbox, item, scope, appendPointer(pointer, key), errors)
    return out
  }
  return value
}

/**
 * 🔧 docs/protocol.md §http_request: a value from `data.*` must not steer where a request goes.
 * Scheme, host and port are literal text of the switch, followed by `/`, `?`, `#` or the end;
 * every `{{ … }}` output is percent-encoded as a URL component (so `/`, `?`, `#`, `&`, `=`, `@`
 * and `..` stay inside the part they land in), and the rendered URL must keep the literal origin.
 */
const LITERAL_ORIGIN = /^\s*(https?):\/\/([^/?#{}%\s]+)(?=[/?#]|\s*$)/i

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
// encodeURIComponent throws on a lone surrogate; a customer value must not make rendering throw.
const encodeComponent = (text: string): string => encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD'))

const urlEngines = new WeakMap<TemplateEngine, TemplateEngine>()

/** The sibling engine (same limits) whose outputs are percent-encoded. */
function urlEngine(engine: TemplateEngine): TemplateEngine {
  let sibling = urlEngines.get(engine)
  if (!sibling) {
    sibling = new TemplateEngine({ ...engine.limits, outputEscape: encodeComponent })
    urlEngines.set(engine, sibling)
  }
  return sibling
}

export function renderUrl(sandbox: Sandbox, source: string, scope: object): RenderOutcome {
  const literal = LITERAL_ORIGIN.exec(source)
  if (!literal) {
    return { ok: false, message: 'the URL must start with literal text "https://host[:port]" followed by "/", "?" or "#": scheme, host and port cannot come from a template' }
  }
  let origin: string
  try {
    origin = new URL(`${literal[1]}://${literal[2]}`).origin
  } catch {
    return { ok: false, message: `${JSON.stringify(`${literal[1]}://${literal[2]}`)} is not a valid origin` }
  }
  const outcome = renderString({ engine: urlEngine(sandbox.engine), budget: sandbox.budget }, source, scope)
  if (!outcome.ok) return outcome
  let rendered: URL
  try {
    rendered = new URL(outcome.value.trim())
  } catch {
    return { ok: false, message: `the rendered URL ${JSON.stringify(outcome.value.trim())} is not a valid URL` }
  }
  if (rendered.origin !== origin) return { ok: false, message: `the rendered URL leaves ${origin} (it points at ${rendered.origin})` }
  return { ok: true, value: rendered.href }
}

/**
 * Whether a template reads `data.customer`, decided from the variables the parsed template
 * reads (any syntax: `data.customer.x`, `data["customer"]`, `data[key]`, `{% assign d = data %}`).
 * Anything under `data` that is not provably `data.yetto` counts. A template that does not parse
 * cannot run, so it needs nothing.
 */
export function readsCustomer(engine: TemplateEngine, source: string): boolean {
  const paths = engine.globalPaths(source)
  if (!paths) return false
  return paths.some((path) => path[0] === 'data' && path[1] !== 'yetto')
}

/** Every Liquid source of a switch part, as the sandbox will see it. */
export function partTemplates(part: { conditions?: { if?: string; unless?: string } | undefined; actions?: readonly unknown[] | undefined }): string[] {
  const sources: string[] = []
  for (const which of ['if', 'unless'] as const) {
    const condition = part.conditions?.[which]
    if (condition === undefined) continue
    const template = conditionTemplate(condition)
    sources.push(template.ok ? template.template : condition)
  }
  const stack: unknown[] = [...(part.actions ?? [])]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === 'string') sources.push(value)
    else if (Array.isArray(value)) stack.push(...value)
    else if (value !== null && typeof value === 'object') stack.push(...Object.values(value))
  }
  return sources
}
