/**
 * 🔧 docs/protocol.md: what the help desk allows an endpoint's answer. The client enforces it, the
 * mock's faults overrun it, the checks and proxies judge by it: each takes these numbers from here.
 */
export const HELP_DESK_LIMITS = Object.freeze({
  /** Connect, headers and body, all within this. */
  answerBudgetMs: 3000,
  /** A larger body is `too_large`. */
  maxResponseBytes: 512 * 1024, // 512 KiB
})

/** `512 KiB`, `1 MiB`: a byte count as people read it. */
export const formatBytes = (bytes: number): string => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`)
