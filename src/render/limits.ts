import { CkitError } from '../errors.js'

/**
 * Sandbox limits (docs/protocol.md §Rendering, docs/security.md). Units are in the names; every
 * limit is an option of `createRenderer` / `TemplateEngine` so a help desk can tune it.
 *
 * Work is *counted*, not timed: a valid response renders the same on an idle laptop and on a
 * saturated CI runner. A work unit is roughly one elementary step (a node rendered, an array
 * element or a few characters a filter touches); sorting charges n·log2(n). On the machine in
 * bench/results.md a million units take 20–150 ms, whatever the template does with them.
 * Wall-clock limits stay as a generous backstop only.
 */
export const RENDER_DEFAULTS = Object.freeze({
  /** Longest template source accepted by the parser (the schema allows 2048 characters). */
  maxTemplateChars: 2048 * 4,
  /** Work one template may do. */
  templateWorkUnits: 1_000_000,
  /** Work all templates of one response (or one switch evaluation) may do together. */
  responseWorkUnits: 5_000_000,
  /** Backstop: wall-clock time of one template, checked between nodes. Work counting stops real abuse long before. */
  templateTimeMs: 1000,
  /** Backstop: wall-clock time of all templates of one response. */
  responseTimeMs: 3000,
  /** Longest rendered string kept for one field; rendering stops as soon as it is passed. */
  maxOutputChars: 8192,
  /** Characters of template source kept parsed for reuse (a response's templates are usually the same every time). */
  cacheChars: 4 * 1024 * 1024, // 4 Mi characters
})

export type RenderLimits = { readonly [K in keyof typeof RENDER_DEFAULTS]: number }

/** Checks limit options at the door: each a positive whole number. */
export function resolveLimits(options: Partial<Record<keyof RenderLimits, unknown>>): RenderLimits {
  const limits: Record<string, number> = { ...RENDER_DEFAULTS }
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue
    if (!Object.hasOwn(RENDER_DEFAULTS, name)) continue
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new CkitError('CKIT_RENDER_INVALID_OPTION', `render option ${name} must be a whole number of at least 1, instead got ${typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value)}`)
    }
    limits[name] = value
  }
  return Object.freeze(limits) as RenderLimits
}
