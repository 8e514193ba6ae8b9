import { HELP_DESK_LIMITS } from '../http/limits.js'

/** 🔧 docs/protocol.md: the budget, the size cap, when latency deserves a warning, and how old a context `rejects-stale` sends. */
export const CONFORMANCE_DEFAULTS = Object.freeze({
  budgetMs: HELP_DESK_LIMITS.answerBudgetMs,
  warnAboveMs: 1500,
  maxResponseBytes: HELP_DESK_LIMITS.maxResponseBytes,
  requests: 10,
  // Each with its own random string: one more than a cache of the first answer can serve.
  challenges: 2,
  concurrency: 4,
  emails: ['kelly@example.com'] as readonly string[],
  unknownEmail: 'nobody@unknown.invalid',
  // One minute past the endpoint's 5-minute tolerance (docs/protocol.md, freshness): a window
  // twice as wide (599 s) must not pass, and a minute still covers ordinary clock skew.
  staleAgeMinutes: 6,
  // The future side of the same window, as far past it: a context stamped ahead of now is refused
  // just the same (at 10 minutes, an endpoint accepting up to +599 s passed).
  futureAgeMinutes: 6,
})
