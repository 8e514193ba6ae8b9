/** Values of one figure over the rounds of a run. */
export type Figure = readonly number[]

export function median(xs: Figure): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const fixed = (x: number, digits: number): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** The spread of a figure: its lowest and highest round. */
export const range = (xs: Figure, digits: number): string => `${fixed(Math.min(...xs), digits)}–${fixed(Math.max(...xs), digits)}`
