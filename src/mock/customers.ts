import type { generateSync as GenerateSync } from 'json-schema-faker'
import { CkitError } from '../errors.js'
import { LruCache } from '../lru.js'
import { validate, type CustomerConnectionResponse, type Section } from '../schema/index.js'
import { exceedsDepth, MAX_JSON_DEPTH, tooDeepMessage } from '../schema/json.js'
import type { MockData } from './data.js'
import { compileGenerator, generatorTools, type CompiledGenerator, type GeneratorTools } from './generator.js'
import { MOCK_DEFAULTS } from './options.js'

/** Generated dates are relative to this fixed day, so the same e-mail gives the same data on any day. */
const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z')

/**
 * A served response, kept as its serialised body only (the hot path sends the string); the few
 * paths that need the object (fault scenarios, the admin API) parse it when they ask.
 */
export class PreparedResponse {
  constructor(
    readonly body: string,
    readonly source: CustomerOrigin,
  ) {}

  get response(): CustomerConnectionResponse {
    return JSON.parse(this.body) as CustomerConnectionResponse
  }
}

/** Where a served customer comes from: faker, a file of the data folder, or set while running. */
export type CustomerOrigin = 'fixed' | 'generated' | 'runtime'

/** A customer set at runtime (admin API, `mock.customers.set`): the customer and, optionally, its own sections. */
export interface RuntimeCustomer {
  readonly customer: Record<string, unknown>
  readonly sections?: CustomerConnectionResponse['sections']
}

export type RuntimeCustomerResult = { ok: true; served: { email: string; origin: CustomerOrigin; response: CustomerConnectionResponse } } | { ok: false; errors: { pointer: string; keyword: string; message: string }[] }

export type CustomerDocumentResult = { ok: true; document: RuntimeCustomer; response: CustomerConnectionResponse } | { ok: false; errors: { pointer: string; keyword: string; message: string }[] }

/**
 * What a customer must be to be served, wherever it comes from (PUT /__admin/customers, the
 * handle, a file of the data folder's customers/): `{ customer, sections? }` that makes a valid
 * response under the contract, strictly, with `defaultSections` when it has none of its own.
 */
export function checkCustomerDocument(document: unknown, defaultSections: readonly Section[]): CustomerDocumentResult {
  const given = document as Partial<RuntimeCustomer> | null | undefined
  const candidate = { version: '2024-03-06', customer: given?.customer, sections: given?.sections ?? defaultSections }
  const checked = validate('response', candidate, { strict: true })
  const errors = checked.errors.map(({ pointer, keyword, message }) => ({ pointer, keyword, message }))
  if (!given || typeof given !== 'object' || Array.isArray(given)) errors.unshift({ pointer: '', keyword: 'type', message: 'must be an object { "customer": {…}, "sections"?: […] }' })
  if (errors.length > 0 || !given) return { ok: false, errors }
  return { ok: true, document: { customer: given.customer!, ...(given.sections ? { sections: given.sections } : {}) }, response: checked.value as CustomerConnectionResponse }
}

/** JSON Merge Patch (RFC 7386): null removes, objects merge, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const base: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key]
    else base[key] = mergePatch(base[key], value)
  }
  return base
}

export interface CustomerSourceOptions {
  readonly seed: number
  readonly cacheEntries: number
  readonly cacheBytes: number
  readonly runtimeCustomers?: number
  readonly runtimeCustomerBytes?: number
}

interface SharedCustomers {
  data: MockData
  /** The data folder's sections, serialised once: ~1.7 KB of every generated response. */
  sectionsJson?: string | undefined
  readonly cache: LruCache<string, PreparedResponse>
}


let toolsLoading: Promise<GeneratorTools> | undefined
let jsfLoading: Promise<typeof GenerateSync> | undefined
/** Each customer schema is compiled once, on its first generated customer; a reload brings a new schema object. */
const compiledSchemas = new WeakMap<object, CompiledGenerator>()

/**
 * Faker (its English locale only) loads on first use, so the mock listens at once; `startMock`
 * starts the load a second after listening. Faker draws from the generator's seeded PRNG, so
 * seeding it per identity costs nothing.
 */
export function loadGenerator(): Promise<GeneratorTools> {
  toolsLoading ??= import('@faker-js/faker/locale/en').then(({ faker }) => generatorTools(faker, REFERENCE_DATE))
  return toolsLoading
}

function compiledFor(schema: Record<string, unknown>, tools: GeneratorTools): CompiledGenerator {
  let compiled = compiledSchemas.get(schema)
  if (!compiled) compiledSchemas.set(schema, (compiled = compileGenerator(schema, tools)))
  return compiled
}

/** A schema the compiler does not handle is generated as before, by json-schema-faker (loaded only then). */
async function generateWithJsf(schema: Record<string, unknown>, seed: number, tools: GeneratorTools): Promise<unknown> {
  const generateSync = await (jsfLoading ??= import('json-schema-faker').then((jsf) => jsf.generateSync))
  // From here on everything is synchronous, so seeding the shared PRNG cannot interleave.
  tools.random.seed(seed)
  return generateSync(schema, { seed, extensions: { faker: tools.faker }, alwaysFakeOptionals: true })
}

/**
 * 32-bit seed from (seed, e-mail): different e-mails get different customers, the same one the same.
 * FNV-1a over the text alone: mixing the seed into the offset basis as well cancelled it out for
 * seeds 0–9 (`basis ^ s`, then `^ ('0' + s)`), so ten seeds gave one set of customers.
 */
export function identitySeed(seed: number, email: string): number {
  let hash = 0x811c9dc5
  for (const char of `${seed}\u0000${email}`) {
    hash ^= char.codePointAt(0)!
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

/**
 * Customers by requester e-mail: fixed ones from mocks/customers/, others generated from the
 * customer schema, compiled once, with a PRNG (and Faker on it) seeded per identity. Responses
 * are cached per e-mail (bounded LRU).
 */
export class CustomerSource {
  /**
   * What every session serves alike: the data folder and the prepared fixed and generated
   * responses (they depend only on the seed and the e-mail). Runtime customers are per source.
   */
  readonly #shared: SharedCustomers
  readonly #options: CustomerSourceOptions
  /** In memory only, never written anywhere; cleared by reset. Bounded by count and characters. */
  readonly #overrides = new Map<string, { document: RuntimeCustomer; chars: number; prepared?: { data: MockData; response: PreparedResponse } }>()
  #overrideChars = 0
  readonly #maxRuntime: { entries: number; chars: number }

  constructor(data: MockData, options: CustomerSourceOptions, shared?: SharedCustomers) {
    this.#options = options
    this.#maxRuntime = { entries: options.runtimeCustomers ?? MOCK_DEFAULTS.runtimeCustomers, chars: options.runtimeCustomerBytes ?? MOCK_DEFAULTS.runtimeCustomerBytes }
    // Bounded by count and by characters held: memory stays flat however many requesters come.
    this.#shared = shared ?? { data, cache: new LruCache(options.cacheEntries, options.cacheBytes) }
  }

  /** A source for a session: the same data and prepared responses, runtime customers of its own. */
  forSession(): CustomerSource {
    return new CustomerSource(this.#shared.data, this.#options, this.#shared)
  }

  async customerFor(email: string): Promise<{ customer: Record<string, unknown>; sections?: readonly Section[]; source: 'fixed' | 'generated' }> {
    const key = email.toLowerCase()
    const fixed = this.#shared.data.customers.get(key)
    if (fixed) return { ...fixed, source: 'fixed' }
    const tools = await loadGenerator()
    const schema = this.#shared.data.customerSchema
    const compiled = compiledFor(schema, tools)
    const n = identitySeed(this.#options.seed, key)
    const customer = (compiled.ok ? compiled.generate(n) : await generateWithJsf(schema, n, tools)) as Record<string, unknown>
    // The requester's own address is the one fact the endpoint knows for sure.
    if (Object.hasOwn(customer, 'email')) customer['email'] = key
    return { customer, source: 'generated' }
  }

  /**
   * The prepared answer for an e-mail: at once when it is a fixed, runtime or cached customer (the
   * hot path: no promise), a promise when a customer must be generated first.
   */
  responseFor(email: string): PreparedResponse | Promise<PreparedResponse> {
    const key = email.toLowerCase()
    const { data, cache } = this.#shared
    // A runtime customer is this source's own, so it is kept beside it, not in the shared cache;
    // prepared again when the data folder (its default sections) was reloaded.
    const override = this.#overrides.get(key)
    if (override) {
      if (override.prepared?.data !== data) {
        override.prepared = { data, response: this.#prepare(override.document.customer, override.document.sections, 'runtime') }
      }
      return override.prepared.response
    }
    return cache.get(key) ?? this.#generated(key, cache)
  }

  /** Kept in the cache of the data it was made from, even if the folder is reloaded meanwhile. */
  async #generated(key: string, cache: SharedCustomers['cache']): Promise<PreparedResponse> {
    const { customer, sections, source } = await this.customerFor(key)
    const prepared = this.#prepare(customer, sections, source)
    cache.set(key, prepared, prepared.body.length + key.length)
    return prepared
  }

  /**
   * The response body for a customer: the same text as JSON.stringify of the whole response,
   * without serialising the data folder's shared sections again for each one.
   */
  #prepare(customer: unknown, own: readonly Section[] | undefined, source: CustomerOrigin): PreparedResponse {
    const sections = own ? JSON.stringify(own) : (this.#shared.sectionsJson ??= JSON.stringify(this.#shared.data.sections))
    return new PreparedResponse(`{"version":"2024-03-06","customer":${JSON.stringify(customer)},"sections":${sections}}`, source)
  }

  /**
   * Serves `customer` (and its own sections, if given) for an e-mail from now on. Checked first
   * against the contract: an invalid document changes nothing and returns the pointers. Throws
   * CKIT_MOCK_TOO_MANY_CUSTOMERS when it would take the runtime customers past
   * `runtimeCustomers` or `runtimeCustomerBytes` (replacing one counts only the difference).
   */
  set(email: string, document: RuntimeCustomer): RuntimeCustomerResult {
    const key = email.trim().toLowerCase()
    const checked = checkCustomerDocument(document, this.#shared.data.sections)
    if (!checked.ok) return checked
    const stored = checked.document
    const chars = JSON.stringify(stored).length + key.length
    const previous = this.#overrides.get(key)
    const entries = this.#overrides.size + (previous ? 0 : 1)
    const total = this.#overrideChars - (previous?.chars ?? 0) + chars
    if (entries > this.#maxRuntime.entries || total > this.#maxRuntime.chars) {
      throw new CkitError(
        'CKIT_MOCK_TOO_MANY_CUSTOMERS',
        `runtime customers are limited to ${this.#maxRuntime.entries} e-mails and ${this.#maxRuntime.chars} characters (runtimeCustomers, runtimeCustomerBytes); this one would make ${entries} and ${total}: delete some (DELETE /__admin/customers/<email>, POST /__admin/reset) or raise the limits`,
      )
    }
    this.#overrides.set(key, { document: stored, chars })
    this.#overrideChars = total
    return { ok: true, served: { email: key, origin: 'runtime', response: checked.response } }
  }

  /** Merges a JSON Merge Patch into what is served now (runtime, file or faker), then sets it. */
  async patch(email: string, patch: unknown): Promise<RuntimeCustomerResult> {
    // The merge recurses as deep as the patch: the contract's depth rule applies before it, not after.
    if (patch !== null && typeof patch === 'object' && exceedsDepth(patch)) return { ok: false, errors: [{ pointer: '', keyword: 'maxDepth', message: `the merge patch is ${tooDeepMessage(MAX_JSON_DEPTH)}` }] }
    const { response } = await this.responseFor(email)
    const merged = mergePatch({ customer: response.customer, sections: response.sections }, patch) as RuntimeCustomer
    return this.set(email, merged)
  }

  /** What is served for an e-mail, and from where. */
  async served(email: string): Promise<{ email: string; origin: CustomerOrigin; response: CustomerConnectionResponse }> {
    const prepared = await this.responseFor(email)
    return { email: email.trim().toLowerCase(), origin: prepared.source, response: prepared.response }
  }

  /** Returns an e-mail to its file or faker customer; false when it had no runtime customer. */
  delete(email: string): boolean {
    const key = email.trim().toLowerCase()
    this.#overrideChars -= this.#overrides.get(key)?.chars ?? 0
    return this.#overrides.delete(key)
  }

  /** Prepared responses held, and their characters: bounded by cacheEntries and cacheBytes. */
  get cached(): { entries: number; chars: number } {
    return { entries: this.#shared.cache.size, chars: this.#shared.cache.weight }
  }

  /** The e-mails with a runtime customer. */
  list(): string[] {
    return [...this.#overrides.keys()].sort()
  }

  /** Serves a reloaded data folder from now on, in every session; runtime customers stay. */
  reload(data: MockData): void {
    this.#shared.data = data
    this.#shared.sectionsJson = undefined
    this.#shared.cache.clear()
  }

  /** Forgets every runtime customer (POST /__admin/reset). */
  clear(): void {
    this.#overrides.clear()
    this.#overrideChars = 0
  }
}
