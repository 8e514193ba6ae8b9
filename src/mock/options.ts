import { CkitError } from '../errors.js'
import { SESSIONS_PREFIX } from './sessions.js'
import { HELP_DESK_LIMITS } from '../http/limits.js'

/**
 * 🔧 The mock's embedded defaults (docs/mock.md). The default secret is public on purpose:
 * the mock is a test double, and CI needs to know it; pass your own with --secret or CKIT_SECRET.
 */
export const MOCK_DEFAULTS = Object.freeze({
  port: 4010,
  host: '127.0.0.1',
  /** Where the customer-connection route lives; /__admin, /docs, /openapi.json and /sessions are reserved. */
  basePath: '/',
  secret: 'ckit-mock-secret' as string | undefined,
  /** Seeds generated customers and scenario probabilities. */
  seed: 1,
  /** The help desk's answer budget; the `timeout` scenario answers 500 ms after it. */
  budgetMs: HELP_DESK_LIMITS.answerBudgetMs,
  /** `too-large` pads a response past this. */
  maxResponseBytes: HELP_DESK_LIMITS.maxResponseBytes,
  /** Requests kept in the journal. */
  journalEntries: 1000,
  /** Prepared responses kept per e-mail. */
  cacheEntries: 10_000,
  /** …and at most this many characters of them (a generated response is ~2 KB, so ~2,000 of them). */
  cacheBytes: 4 * 1024 * 1024, // 4 MiB
  /** Requests beyond this many bytes of URL are refused (base64url contexts are ~300 bytes). */
  maxUrlBytes: 8 * 1024, // 8 KiB
  /** E-mails with a customer set while running (admin API, `mock.customers`)… */
  runtimeCustomers: 1000,
  /** …and at most this many characters of them, serialised. */
  runtimeCustomerBytes: 16 * 1024 * 1024, // 16 MiB
  adminToken: undefined as string | undefined,
  /** Sessions (`/sessions/<id>/…`) alive at once; past it, the least recently used idle one makes room. */
  maxSessions: 256,
  /** A session without a request for this long is forgotten. */
  sessionIdleMs: 30 * 60 * 1000, // 30 minutes
  /** 🔧 docs/protocol.md: contexts whose requested_at is further from now are refused (401 stale). */
  toleranceSeconds: 300, // 5 minutes
})

export interface MockOptions {
  readonly port?: number
  readonly host?: string
  readonly basePath?: string
  /** Signing secret; `undefined` together with `verify: false` serves unsigned requests. */
  readonly secret?: string
  /** Verify X_YETTO_SIGNATURE (default true). */
  readonly verify?: boolean
  readonly seed?: number
  /** Mock data folder (customers/, customer.schema.json, sections.json, scenarios.yaml). */
  readonly dataDir?: string
  /** Global scenario, overriding `default` from scenarios.yaml. */
  readonly scenario?: string
  readonly budgetMs?: number
  readonly maxResponseBytes?: number
  readonly journalEntries?: number
  readonly cacheEntries?: number
  /** Characters of prepared responses kept (default 4 MiB); the least recently used go first. */
  readonly cacheBytes?: number
  /** E-mails with a runtime customer at once (default 1000); past it, setting a new one is refused. */
  readonly runtimeCustomers?: number
  /** Characters of runtime customers, serialised (default 16 MiB). */
  readonly runtimeCustomerBytes?: number
  /** Refuse request contexts whose `requested_at` is further than this from now (default 300; Infinity turns it off). */
  readonly toleranceSeconds?: number
  /** When set, /__admin requires `Authorization: Bearer <token>` (or `?token=` for the preview page). */
  readonly adminToken?: string
  /** Sessions alive at once (default 256). */
  readonly maxSessions?: number
  /** Forget a session after this long without a request (default 30 minutes). */
  readonly sessionIdleMs?: number
}

export interface ResolvedMockOptions {
  readonly port: number
  readonly host: string
  readonly basePath: string
  readonly secret: string | undefined
  readonly verify: boolean
  readonly seed: number
  readonly dataDir: string | undefined
  readonly scenario: string | undefined
  readonly budgetMs: number
  readonly maxResponseBytes: number
  readonly journalEntries: number
  readonly cacheEntries: number
  readonly cacheBytes: number
  readonly runtimeCustomers: number
  readonly runtimeCustomerBytes: number
  readonly maxUrlBytes: number
  readonly adminToken: string | undefined
  readonly toleranceSeconds: number
  readonly maxSessions: number
  readonly sessionIdleMs: number
}

const RESERVED = ['/__admin', '/docs', '/openapi.json', SESSIONS_PREFIX]

function fail(option: string, expected: string, given: unknown): never {
  throw new CkitError('CKIT_MOCK_INVALID_OPTION', `mock option ${option} must be ${expected}, instead got ${JSON.stringify(given)}`)
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(name, `an integer from ${min} to ${max}`, value)
  return value
}

/** Validates options at the door and resolves defaults once. */
export function resolveMockOptions(options: MockOptions = {}): ResolvedMockOptions {
  const o = { ...MOCK_DEFAULTS, verify: true, dataDir: undefined, scenario: undefined, ...options }
  integer('port', o.port, 0, 65535)
  integer('seed', o.seed, 0, 2 ** 31 - 1)
  integer('budgetMs', o.budgetMs, 1, 60_000)
  integer('maxResponseBytes', o.maxResponseBytes, 1, 64 * 1024 * 1024)
  integer('journalEntries', o.journalEntries, 1, 1_000_000)
  integer('cacheEntries', o.cacheEntries, 1, 10_000_000)
  integer('cacheBytes', o.cacheBytes, 1024, 2 ** 32)
  integer('runtimeCustomers', o.runtimeCustomers, 1, 1_000_000)
  integer('runtimeCustomerBytes', o.runtimeCustomerBytes, 1024, 2 ** 32)
  integer('maxSessions', o.maxSessions, 1, 100_000)
  integer('sessionIdleMs', o.sessionIdleMs, 1000, 7 * 24 * 3600 * 1000)
  if (typeof o.toleranceSeconds !== 'number' || Number.isNaN(o.toleranceSeconds) || o.toleranceSeconds < 0) fail('toleranceSeconds', 'a number of seconds, 0 or more (Infinity turns the check off)', o.toleranceSeconds)
  if (typeof o.host !== 'string' || o.host === '') fail('host', 'a host name or address', o.host)
  if (typeof o.basePath !== 'string' || !o.basePath.startsWith('/') || /[?#\s]/.test(o.basePath)) fail('basePath', 'a path starting with /', o.basePath)
  const basePath = o.basePath.length > 1 ? o.basePath.replace(/\/+$/, '') : '/'
  if (RESERVED.some((r) => basePath === r || basePath.startsWith(`${r}/`))) fail('basePath', `a path outside the reserved ${RESERVED.join(', ')}`, o.basePath)
  if (o.verify && (typeof o.secret !== 'string' || o.secret === '')) fail('secret', 'a non-empty string (or set verify: false)', o.secret)
  if (o.adminToken !== undefined && (typeof o.adminToken !== 'string' || o.adminToken.length < 8)) fail('adminToken', 'a string of at least 8 characters', '…')
  return Object.freeze({ ...o, basePath })
}
