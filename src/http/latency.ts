/**
 * The nearest-rank percentile of ascending latencies (p in 0–100): a value that was measured, never
 * an interpolation; undefined when nothing was measured.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}
