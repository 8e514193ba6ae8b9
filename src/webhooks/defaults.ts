// The webhook tools' names and defaults, apart from the code, so the CLI can show them in --help
// without loading the sender, the receiver or the schemes' libraries.

/**
 * How a delivery is signed. `yetto` is the help desk's own (docs/protocol.md: only the body is
 * signed); `standard` is Standard Webhooks (id and timestamp signed too, via the `standardwebhooks`
 * package); `github` is X-Hub-Signature-256, so the tools serve receivers of other services too.
 */
export const SCHEME_NAMES = ['yetto', 'standard', 'github'] as const
export type SchemeName = (typeof SCHEME_NAMES)[number]

/**
 * 🔧 docs/protocol.md §Webhooks, delivery: 2xx within 10 s is success; network errors, timeouts,
 * 5xx, 408 and 429 are retried with exponential backoff and full jitter, 6 attempts over up to
 * about an hour (a 2-minute base: the waits are at most 2, 4, 8, 16 and 32 minutes); other 4xx and
 * 3xx are final. `Retry-After` (seconds or an HTTP date) replaces the backoff, capped.
 */
export const DELIVERY_DEFAULTS = Object.freeze({
  scheme: 'yetto' as SchemeName,
  attempts: 6,
  backoffMs: 120_000, // 2 minutes: the first retry waits up to this, then doubling
  timeoutMs: 10_000, // 10 s per attempt
  maxRetryAfterMs: 3_600_000, // 1 hour: a Retry-After longer than this is capped
  concurrency: 4,
})

/** 🔧 Receiver defaults: 1 MiB bodies, a 5-minute window where the scheme signs the timestamp. */
export const RECEIVER_DEFAULTS = Object.freeze({
  /** What the sender signs with unless told otherwise. */
  scheme: DELIVERY_DEFAULTS.scheme,
  maxBodyBytes: 1024 * 1024, // 1 MiB
  toleranceSeconds: 300, // 5 minutes
  replayEntries: 100_000,
})
