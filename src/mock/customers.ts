import type { Faker } from '@faker-js/faker'
import type { generateSync as GenerateSync } from 'json-schema-faker'
import { LruCache } from '../lru.js'
import type { CustomerConnectionResponse } from '../schema/index.js'
import type { MockData } from './data.js'

/** Generated dates are relative to this fixed day, so the same e-mail gives the same data on any day. */
const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z')

export interface PreparedResponse {
  readonly response: CustomerConnectionResponse
  /** The response serialised once; the hot path sends this string. */
  readonly body: string
  readonly source: 'fixed' | 'generated'
}

interface Generator {
  readonly faker: Faker
  readonly generateSync: typeof GenerateSync
}

let generatorLoading: Promise<Generator> | undefined

/**
 * Faker and json-schema-faker load on first use (Faker alone is ~250 ms of imports), so the mock
 * listens at once; `ckit mock` starts the load right after listening.
 */
export function loadGenerator(): Promise<Generator> {
  generatorLoading ??= Promise.all([import('@faker-js/faker'), import('json-schema-faker')]).then(([fakerModule, jsf]) => ({
    faker: new fakerModule.Faker({ locale: [fakerModule.en] }),
    generateSync: jsf.generateSync,
  }))
  return generatorLoading
}

/** 32-bit seed from (seed, e-mail): different e-mails get different customers, the same one the same. */
function identitySeed(seed: number, email: string): number {
  let hash = 0x811c9dc5 ^ seed
  for (const char of `${seed}\u0000${email}`) {
    hash ^= char.codePointAt(0)!
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

/**
 * Customers by requester e-mail: fixed ones from mocks/customers/, others generated with
 * json-schema-faker and a Faker seeded per identity. Responses are cached per e-mail (bounded LRU).
 */
export class CustomerSource {
  readonly #data: MockData
  readonly #seed: number
  readonly #cache: LruCache<string, PreparedResponse>

  constructor(data: MockData, options: { seed: number; cacheEntries: number }) {
    this.#data = data
    this.#seed = options.seed
    this.#cache = new LruCache(options.cacheEntries)
  }

  async customerFor(email: string): Promise<{ customer: Record<string, unknown>; source: 'fixed' | 'generated' }> {
    const key = email.toLowerCase()
    const fixed = this.#data.customers.get(key)
    if (fixed) return { customer: fixed, source: 'fixed' }
    const { faker, generateSync } = await loadGenerator()
    const n = identitySeed(this.#seed, key)
    // From here on everything is synchronous, so seeding the shared Faker cannot interleave.
    faker.seed(n)
    faker.setDefaultRefDate(REFERENCE_DATE)
    const customer = generateSync(this.#data.customerSchema, { seed: n, extensions: { faker }, alwaysFakeOptionals: true }) as Record<string, unknown>
    // The requester's own address is the one fact the endpoint knows for sure.
    if (Object.hasOwn(customer, 'email')) customer['email'] = key
    return { customer, source: 'generated' }
  }

  async responseFor(email: string): Promise<PreparedResponse> {
    const key = email.toLowerCase()
    const cached = this.#cache.get(key)
    if (cached) return cached
    const { customer, source } = await this.customerFor(key)
    const response: CustomerConnectionResponse = { version: '2024-03-06', customer, sections: [...this.#data.sections] }
    const prepared = { response, body: JSON.stringify(response), source }
    this.#cache.set(key, prepared)
    return prepared
  }
}
