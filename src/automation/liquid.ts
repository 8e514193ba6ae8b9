import type { TemplateEngine } from '../render/index.js'

export type ConditionOutcome = { ok: true; value: boolean } | { ok: false; message: string }

/**
 * Evaluates Yetto's `"{% <expression> %}"` by rendering `{% if <expression> %}` in the sandbox.
 * An undefined variable is false (lenientIf), like a missing field in Yetto's own evaluation.
 */
export function evaluateCondition(engine: TemplateEngine, source: string, scope: object): ConditionOutcome {
  const match = /^\s*\{%-?([\s\S]*?)-?%\}\s*$/.exec(source)
  const expression = match?.[1]?.trim()
  if (!expression) return { ok: false, message: 'a condition is a Liquid expression in one tag, like "{% data.yetto.message.visibility == \\"internal\\" %}"' }
  // One expression only: a second tag inside would run arbitrary Liquid, not test a condition.
  if (/\{%|%\}|\{\{|\}\}/.test(expression)) return { ok: false, message: 'a condition must be a single expression, without nested tags' }
  const outcome = engine.render(`{% if ${expression} %}1{% else %}0{% endif %}`, scope, { strict: false, timeMs: engine.limits.templateTimeMs })
  if (!outcome.ok) return { ok: false, message: outcome.message }
  if (outcome.output !== '1' && outcome.output !== '0') return { ok: false, message: 'the condition did not evaluate to true or false' }
  return { ok: true, value: outcome.output === '1' }
}

export type RenderOutcome = { ok: true; value: string } | { ok: false; message: string }

export function renderString(engine: TemplateEngine, source: string, scope: object): RenderOutcome {
  const outcome = engine.render(source, scope, { strict: false, timeMs: engine.limits.templateTimeMs })
  return outcome.ok ? { ok: true, value: outcome.output } : { ok: false, message: outcome.message }
}

/** Renders every string inside a JSON value (http_request bodies); other values pass through. */
export function renderDeep(engine: TemplateEngine, value: unknown, scope: object, pointer: string, errors: string[]): unknown {
  if (typeof value === 'string') {
    const outcome = renderString(engine, value, scope)
    if (!outcome.ok) errors.push(`${pointer}: ${outcome.message}`)
    return outcome.ok ? outcome.value : value
  }
  if (Array.isArray(value)) return value.map((item, i) => renderDeep(engine, item, scope, `${pointer}/${i}`, errors))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = renderDeep(engine, item, scope, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, errors)
    return out
  }
  return value
}
