import { CkitError } from '../errors.js'

const UNIT_MS: Record<string, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
}

/** 🔧 docs/protocol.md §Automations: the longest `after` a scheduled action may wait. */
export const MAX_DURATION_MS = 90 * 86_400_000 // 90 days

/** "30 minutes", "2 hours", "1 day" → milliseconds (the docs' human durations; 🔧 units up to weeks, at most 90 days). */
export function parseDuration(text: string): number {
  const match = typeof text === 'string' ? /^\s*([1-9][0-9]{0,3})\s*(second|minute|hour|day|week)s?\s*$/i.exec(text) : null
  if (!match) {
    throw new CkitError('CKIT_AUTOMATION_BAD_DURATION', `${JSON.stringify(text)} is not a duration; write a whole number (up to 4 digits) and a unit, e.g. "30 minutes", "2 hours", "1 day"`)
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!
  if (ms > MAX_DURATION_MS) throw new CkitError('CKIT_AUTOMATION_BAD_DURATION', `${JSON.stringify(text.trim())} is longer than the 90 days a scheduled action may wait`)
  return ms
}
