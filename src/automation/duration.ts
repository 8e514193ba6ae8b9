import { CkitError } from '../errors.js'

const UNIT_MS: Record<string, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
}

/** "30 minutes", "2 hours", "1 day" → milliseconds (the docs' human durations; 🔧 units up to weeks). */
export function parseDuration(text: string): number {
  const match = /^\s*([1-9][0-9]*)\s*(second|minute|hour|day|week)s?\s*$/i.exec(text)
  if (!match) {
    throw new CkitError('CKIT_AUTOMATION_BAD_DURATION', `${JSON.stringify(text)} is not a duration; write a whole number and a unit, e.g. "30 minutes", "2 hours", "1 day"`)
  }
  return Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!
}
