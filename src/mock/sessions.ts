import type { ServerResponse } from 'node:http'
import { CkitError } from '../errors.js'

/** 🔧 docs/mock.md: what a session id may be (it is a URL path segment and a journal label). */
export const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/

/** The URL segment before a session id: `/sessions/<id>/…` mirrors the root. */
export const SESSIONS_PREFIX = '/sessions'

interface Slot<S> {
  readonly state: S
  lastUsed: number
  /** Requests still being answered: a session with any is never evicted. */
  active: number
}

export type SessionLookup<S> = { ok: true; state: S } | { ok: false; status: 400 | 503; error: 'invalid_session' | 'too_many_sessions'; message: string }

const SLOT = Symbol('ckit.session-slot')
type SlotResponse = ServerResponse & { [SLOT]?: Slot<unknown> }

/** One shared close listener (no closure per request): the request's session is idle again. */
function release(this: SlotResponse): void {
  const slot = this[SLOT]
  if (slot) slot.active--
}

/**
 * Sessions by id, created on first use and bounded: at most `max` at once, each forgotten after
 * `idleMs` without a request. A new id at the limit takes the place of the least recently used
 * session with no request in flight; only when every session is answering one is it refused.
 * The Map's insertion order is the recency order (a use moves the id to the end), so finding
 * the least recently used one never scans more than the busy ones in front of it.
 */
export class SessionRegistry<S> {
  readonly #slots = new Map<string, Slot<S>>()
  readonly #create: (id: string) => S
  readonly #now: () => number

  constructor(
    readonly max: number,
    readonly idleMs: number,
    create: (id: string) => S,
    now: () => number = Date.now,
  ) {
    this.#create = create
    this.#now = now
  }

  /** The session's state, created on first use; a refusal says why (bad id, all sessions busy). */
  lookup(id: string): SessionLookup<S> {
    const now = this.#now()
    const slot = this.#slots.get(id)
    if (slot !== undefined && (now - slot.lastUsed <= this.idleMs || slot.active > 0)) {
      this.#slots.delete(id)
      this.#slots.set(id, slot)
      slot.lastUsed = now
      return { ok: true, state: slot.state }
    }
    // Validated only on a miss: a known id was valid when it was created.
    if (!SESSION_ID.test(id)) return { ok: false, status: 400, error: 'invalid_session', message: `a session id is 1 to 64 letters, digits, _ or -, instead got ${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)}` }
    this.#sweep(now)
    if (this.#slots.size >= this.max && !this.#evictOne()) {
      return { ok: false, status: 503, error: 'too_many_sessions', message: `all ${this.max} sessions are answering requests (maxSessions); retry when one is idle, end unused ones with POST ${SESSIONS_PREFIX}/<id>/__admin/reset, or raise maxSessions` }
    }
    const fresh: Slot<S> = { state: this.#create(id), lastUsed: now, active: 0 }
    this.#slots.set(id, fresh)
    return { ok: true, state: fresh.state }
  }

  /** Like lookup, for the API: a refusal is a CkitError. */
  get(id: string): S {
    const found = this.lookup(id)
    if (!found.ok) throw new CkitError(found.status === 400 ? 'CKIT_MOCK_INVALID_SESSION' : 'CKIT_MOCK_TOO_MANY_SESSIONS', found.message)
    return found.state
  }

  /** Marks the session busy until `raw` closes, so it is not evicted mid-request. */
  hold(id: string, raw: ServerResponse): void {
    const slot = this.#slots.get(id)
    if (slot === undefined) return
    slot.active++
    ;(raw as SlotResponse)[SLOT] = slot
    raw.once('close', release)
  }

  /** Every live session's state (a reloaded data folder reaches them all). */
  states(): S[] {
    return [...this.#slots.values()].map((slot) => slot.state)
  }

  get size(): number {
    return this.#slots.size
  }

  /** Oldest first: forget sessions idle past idleMs (none of them has a request in flight). */
  #sweep(now: number): void {
    for (const [id, slot] of this.#slots) {
      if (now - slot.lastUsed <= this.idleMs) return
      if (slot.active === 0) this.#slots.delete(id)
    }
  }

  #evictOne(): boolean {
    for (const [id, slot] of this.#slots) {
      if (slot.active === 0) {
        this.#slots.delete(id)
        return true
      }
    }
    return false
  }
}
