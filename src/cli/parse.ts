import { CkitError } from '../errors.js'

/**
 * Option parsers for commander: each checks its flag once, when the command line is read, and
 * throws CKIT_CLI_USAGE (exit 2) with one line naming the flag, what it takes and what it got.
 */
export function wholeNumberOption(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new CkitError('CKIT_CLI_USAGE', `${flag} must be a whole number from ${min} to ${max}, instead got ${JSON.stringify(value)}`)
    }
    return Number(value)
  }
}

/** --timeout: milliseconds from 1 to 600000. */
export const timeoutOption = wholeNumberOption('--timeout', 1, 600_000)

/** A requester e-mail: the endpoint picks the customer by it, so a typo is caught here, not as a failed request. */
export function emailOption(flag: string) {
  return (value: string): string => {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new CkitError('CKIT_CLI_USAGE', `${flag} must be an e-mail address, instead got ${JSON.stringify(value)}`)
    return value
  }
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A duration like `100ms`, `2s`, `1m`, `1h` (a bare number is seconds), in ms. */
export function durationOption(flag: string) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim())
    if (!match) throw new CkitError('CKIT_CLI_USAGE', `${flag} must be a duration like 100ms, 2s, 1m or 1h, instead got ${JSON.stringify(value)}`)
    return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 's']!)
  }
}

/** A duration in ms as durationOption reads it: the largest whole unit (`2m`, `10s`, `1500ms`). */
export function formatDuration(ms: number): string {
  const [unit, size] = Object.entries(DURATION_UNITS_MS).sort((a, b) => b[1] - a[1]).find(([, size]) => ms % size === 0 && ms >= size) ?? ['ms', 1]
  return `${ms / size}${unit}`
}

/** A rate like `5/s`, `30/m` or `5` (per second), as events per second. */
export function rateOption(flag: string) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?$/.exec(value.trim())
    const perSecond = match ? Number(match[1]) / ({ s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1) : Number.NaN
    if (!(perSecond > 0) || perSecond > 10_000) throw new CkitError('CKIT_CLI_USAGE', `${flag} must be a rate like 5/s or 30/m (at most 10000/s), instead got ${JSON.stringify(value)}`)
    return perSecond
  }
}

/** A repeatable option: commander calls it once per occurrence. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** An absolute http: or https: URL, for the flag (or argument) named. */
export function urlOption(flag: string) {
  return (value: string): string => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw new CkitError('CKIT_CLI_USAGE', `${flag} must be an absolute http: or https: URL, instead got ${JSON.stringify(value)}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CkitError('CKIT_CLI_USAGE', `${flag} must use http: or https:, instead got ${url.protocol}`)
    return url.href
  }
}
