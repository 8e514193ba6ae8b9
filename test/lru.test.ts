import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LruCache } from '../src/lru.js'

describe('LruCache', () => {
  it('forgets the least recently used entry first, and a read counts as use', () => {
    const cache = new LruCache<string, number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.get('a')).toBe(1)
    cache.set('c', 3)
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([1, undefined, 3, 2])
  })

  it('bounds the total weight, and keeps nothing heavier than the whole budget', () => {
    const cache = new LruCache<string, string>(100, 10)
    cache.set('x', 'xxxxxx', 6)
    cache.set('y', 'yyyy', 4)
    cache.set('z', 'zz', 2)
    expect([cache.get('x'), cache.get('y'), cache.get('z'), cache.weight]).toEqual([undefined, 'yyyy', 'zz', 6])
    cache.set('huge', 'h'.repeat(11), 11)
    expect([cache.get('huge'), cache.weight]).toEqual([undefined, 6])
    cache.set('y', 'y', 1)
    expect(cache.weight).toBe(3)
  })

  it('never forgets an entry read between every two writes, though a recent one is not moved on each read', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 200 }), (capacity, others) => {
        const cache = new LruCache<string, string>(capacity)
        cache.set('kept', 'value')
        for (const key of others) {
          cache.set(`other:${key}`, key)
          expect(cache.get('kept')).toBe('value')
        }
      }),
    )
  })

  it('never exceeds its bounds, whatever is stored', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 1, max: 20 }))), (capacity, maxWeight, writes) => {
        const cache = new LruCache<string, number>(capacity, maxWeight)
        for (const [key, weight] of writes) {
          cache.set(key, weight, weight)
          expect(cache.size).toBeLessThanOrEqual(capacity)
          expect(cache.weight).toBeLessThanOrEqual(maxWeight)
        }
      }),
    )
  })
})
