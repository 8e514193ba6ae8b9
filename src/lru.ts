/**
 * A bounded least-recently-used map: a Map keeps insertion order, so re-inserting on a hit is
 * enough. Bounded by entry count and, when entries differ in size, by their total weight (e.g.
 * characters), so a few huge entries cannot hold more memory than many small ones would.
 *
 * A hit on an entry in the newer half is not moved: fewer than half the entries came after it, so
 * it is not next to go, and the hot path (one requester asking again and again) pays one lookup
 * instead of a delete and an insert per hit.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, { value: V; weight: number; stamp: number }>()
  readonly #capacity: number
  readonly #maxWeight: number
  #weight = 0
  /** Counts insertions and moves: entries placed after one are at most `#tick - its stamp`. */
  #tick = 0

  constructor(capacity: number, maxWeight = Infinity) {
    this.#capacity = Math.max(1, capacity)
    this.#maxWeight = maxWeight
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (this.#tick - entry.stamp >= this.#entries.size / 2) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
      entry.stamp = ++this.#tick
    }
    return entry.value
  }

  /** Stores a value; one heavier than the whole budget is not kept at all. */
  set(key: K, value: V, weight = 1): void {
    this.delete(key)
    if (weight > this.#maxWeight) return
    this.#entries.set(key, { value, weight, stamp: ++this.#tick })
    this.#weight += weight
    while (this.#entries.size > this.#capacity || this.#weight > this.#maxWeight) this.delete(this.#entries.keys().next().value as K)
  }

  delete(key: K): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#weight -= entry.weight
  }

  clear(): void {
    this.#entries.clear()
    this.#weight = 0
  }

  get size(): number {
    return this.#entries.size
  }

  /** Total weight held (entries count 1 each unless given a weight). */
  get weight(): number {
    return this.#weight
  }
}
