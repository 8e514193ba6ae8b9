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
  /** HTTP status sent, or null when none was (reset, hang, client gone). */
  readonly status: number | null
  readonly latencyMs: number
  /** Why the request was refused, or what happened to the connection. */
  readonly note: string | undefined
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

  /** Newest first, optionally only one requester's entries. */
  list(filter: { email?: string; limit?: number } = {}): JournalEntry[] {
    const out: JournalEntry[] = []
    const wanted = filter.email?.toLowerCase()
    const limit = filter.limit ?? this.capacity
    for (let i = 1; i <= this.#count && out.length < limit; i++) {
      const entry = this.#entries[(this.#next - i + this.capacity) % this.capacity]!
      if (wanted === undefined || entry.email?.toLowerCase() === wanted) out.push(entry)
    }
    return out
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
