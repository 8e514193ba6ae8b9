/**
 * Sandbox limits (docs/protocol.md §Rendering). Units are in the names; every limit is an option
 * of `createRenderer` so a help desk can tune it.
 */
export const RENDER_DEFAULTS = Object.freeze({
  /** Longest template source accepted by the parser (the schema allows 2048 characters). */
  maxTemplateChars: 2048 * 4,
  /** Wall-clock budget of one template render; liquidjs checks it between nodes. */
  templateTimeMs: 100,
  /** Budget of all templates of one response together, so 50 slow sections cannot add up. */
  responseTimeMs: 500,
  /** liquidjs's allocation counter: stops `(1..100000000)` ranges and doubling `append` chains. */
  memoryUnits: 1_000_000,
  /** Longest rendered string kept for one field. */
  maxOutputChars: 8192,
  /** Parsed templates kept for reuse (a response's templates are usually the same every time). */
  cacheEntries: 2000,
})

export type RenderLimits = { readonly [K in keyof typeof RENDER_DEFAULTS]: number }
