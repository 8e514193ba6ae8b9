import type { RequestContext } from '../schema/index.js'

export type SignatureVerdict = 'ok' | 'missing' | 'malformed' | 'mismatch' | 'not-checked'

/** One request as the mock saw it. */
export interface JournalEntry {
  readonly id: number
  /** ISO-8601 time the request arrived. */
  readonly time: string
  readonly method: string
  readonly path: string
  readonly email: string | undefined
  readonly context: RequestContext | undefined
  readonly signature: SignatureVerdict
  /** Scenario applied, and where it came from (`header`, `rule:<match>`, `default`), if any. */
  readonly scenario: string | undefined
  readonly scenarioSource: string | undefined
  /** HTTP status sent, or null when none was (reset, hang, client gone) or the request is still pending. */
  readonly status: number | null
  /** Null while pending. */
  readonly latencyMs: number | null
  /** Why the request was refused, or what happened to the connection. */
  readonly note: string | undefined
  /**
   * Entries are written when a request arrives, so a client that gave up finds its request here:
   * `pending` until the response is over, then `answered` (sent in full) or `cut` (the connection
   * closed first: reset, hang, client gone).
   */
  readonly outcome: JournalOutcome
  /** False when `email` is what a request claimed but its signature did not verify. */
  readonly emailVerified: boolean
}

export type JournalOutcome = 'pending' | 'answered' | 'cut'
export const JOURNAL_OUTCOMES: readonly JournalOutcome[] = ['pending', 'answered', 'cut']

/** What the journal can be searched by (`GET /__admin/journal?…` and `/journal/count?…`). */
export interface JournalFilter {
  readonly email?: string
  /** The request context's reason: conversation_viewed, automation, refresh, challenge. */
  readonly reason?: string
  readonly outcome?: JournalOutcome
  /** Only requests that arrived at or after this instant (ms since the epoch). */
  readonly sinceMs?: number
  readonly limit?: number
}

/** An entry the mock is still filling in; the journal hands out the same object, completed later. */
export type OpenEntry = { -readonly [K in keyof JournalEntry]: JournalEntry[K] }

let lastMs = Number.NaN
let lastIso = ''
/** Now as ISO-8601 for an entry's `time`, formatted once per millisecond: under load many requests arrive in the same one. */
export function isoNow(): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

/** A bounded ring buffer of requests: memory stays flat however long the mock runs. */
export class Journal {
  readonly #entries: (JournalEntry | undefined)[]
  #next = 0
  #count = 0
  #id = 0

  constructor(readonly capacity: number) {
    this.#entries = new Array<JournalEntry | undefined>(capacity)
  }

  nextId(): number {
    return ++this.#id
  }

  record(entry: JournalEntry): void {
    this.#entries[this.#next] = entry
    this.#next = (this.#next + 1) % this.capacity
    this.#count = Math.min(this.#count + 1, this.capacity)
  }

  /** Newest first, the entries that match every given filter. */
  list(filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = []
    const matches = matcher(filter)
    const limit = filter.limit ?? this.capacity
    for (let i = 1; i <= this.#count && out.length < limit; i++) {
      const entry = this.#entries[(this.#next - i + this.capacity) % this.capacity]!
      if (matches(entry)) out.push({ ...entry })
    }
    return out
  }

  /** How many entries match (WireMock's `verify(count, …)`). */
  count(filter: JournalFilter = {}): number {
    const matches = matcher(filter)
    let n = 0
    for (let i = 1; i <= this.#count; i++) if (matches(this.#entries[(this.#next - i + this.capacity) % this.capacity]!)) n++
    return n
  }

  clear(): void {
    this.#entries.fill(undefined)
    this.#next = 0
    this.#count = 0
  }

  get size(): number {
    return this.#count
  }
}

function matcher(filter: JournalFilter): (entry: JournalEntry) => boolean {
  const email = filter.email?.toLowerCase()
  return (entry) =>
    (email === undefined || entry.email?.toLowerCase() === email) &&
    (filter.reason === undefined || entry.context?.reason === filter.reason) &&
    (filter.outcome === undefined || entry.outcome === filter.outcome) &&
    (filter.sinceMs === undefined || Date.parse(entry.time) >= filter.sinceMs)
}
