import { randomBytes } from 'node:crypto'
import { render, type RenderResult } from '../render/index.js'
import { parseJson, validate, type CustomerConnectionResponse, type RequestContext } from '../schema/index.js'
import { buildSignedRequest, type Secret, type Signer } from '../signature/index.js'
import type { Failure } from './failure.js'
import { httpGet } from './http.js'

/** 🔧 docs/protocol.md: 3 s budget, 512 KiB cap, lenient validation and rendering. */
export const CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 3000,
  maxResponseBytes: 512 * 1024, // 512 KiB
  strict: false,
})

export interface Connection {
  /** The configured URL; the path parameter is appended to it. */
  readonly url: string
  readonly secret: Secret | Signer
}

export interface ClientOptions {
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
  /** Unknown section types, unknown properties and undefined variables fail the request. */
  readonly strict?: boolean
  /** Extra request headers (tracing, a mock's X-Mock-Scenario); the signature header always wins. */
  readonly headers?: Readonly<Record<string, string>>
}

export type CustomerDataResult =
  | { readonly ok: true; readonly response: CustomerConnectionResponse; readonly rendered: RenderResult; readonly latencyMs: number }
  | { readonly ok: false; readonly error: Failure; readonly latencyMs: number }

type Parsed = { ok: true; value: unknown } | { ok: false; error: Failure }

async function fetchJson(connection: Connection, context: RequestContext, options: ClientOptions): Promise<Parsed> {
  const signed = buildSignedRequest({ url: connection.url, secret: connection.secret, context })
  const http = await httpGet(signed.url, { ...options.headers, ...signed.headers }, {
    timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
    maxResponseBytes: options.maxResponseBytes ?? CLIENT_DEFAULTS.maxResponseBytes,
  })
  if (!http.ok) return http
  const parsed = parseJson(http.body)
  if (!parsed.ok) return { ok: false, error: { kind: 'invalid_json', message: `the response is not JSON: ${parsed.error.message}` } }
  return parsed
}

const elapsed = (start: number): number => Math.round(performance.now() - start)

/**
 * Asks a customer endpoint for data, as the help desk does when a conversation opens, an
 * automation runs or the agent refreshes: signed GET, one deadline, size cap, then parse,
 * validate and render. Never throws for anything the endpoint does; throws CkitError for misuse
 * (an invalid URL or context).
 */
export async function requestCustomerData(connection: Connection, context: RequestContext, options: ClientOptions = {}): Promise<CustomerDataResult> {
  const start = performance.now()
  const strict = options.strict ?? CLIENT_DEFAULTS.strict
  const parsed = await fetchJson(connection, context, options)
  if (!parsed.ok) return { ok: false, error: parsed.error, latencyMs: elapsed(start) }
  const checked = validate('response', parsed.value, { strict })
  if (!checked.valid) {
    const first = checked.errors[0]!
    const error: Failure = {
      kind: 'schema_invalid',
      message: `the response breaks the contract: ${first.pointer || '/'}: ${first.message}${checked.errors.length > 1 ? ` (and ${checked.errors.length - 1} more)` : ''}`,
      pointers: checked.errors.map((e) => e.pointer),
    }
    return { ok: false, error, latencyMs: elapsed(start) }
  }
  const rendered = render(checked.value, { strict })
  if (rendered.errors.length > 0) {
    const first = rendered.errors[0]!
    const error: Failure = {
      kind: 'template_error',
      message: `the response cannot be displayed: ${first.pointer}: ${first.message}${rendered.errors.length > 1 ? ` (and ${rendered.errors.length - 1} more)` : ''}`,
      pointers: rendered.errors.map((e) => e.pointer),
    }
    return { ok: false, error, latencyMs: elapsed(start) }
  }
  return { ok: true, response: checked.value, rendered, latencyMs: elapsed(start) }
}

export type TestConnectionResult = { readonly ok: true; readonly latencyMs: number } | { readonly ok: false; readonly error: Failure; readonly latencyMs: number }

/** The set-up check (the Test button): a random challenge that must come back unchanged within the budget. */
export async function testConnection(connection: Connection, options: ClientOptions & { inbox?: string; now?: () => Date } = {}): Promise<TestConnectionResult> {
  const start = performance.now()
  const challenge = randomBytes(16).toString('hex')
  const context: RequestContext = {
    reason: 'challenge',
    requested_at: (options.now?.() ?? new Date()).toISOString(),
    inbox: { slug: options.inbox ?? 'connection-test' },
    challenge,
  }
  const parsed = await fetchJson(connection, context, options)
  if (!parsed.ok) return { ok: false, error: parsed.error, latencyMs: elapsed(start) }
  const echoed = (parsed.value as { challenge?: unknown } | null)?.challenge
  if (echoed !== challenge) {
    const message = echoed === undefined ? 'the response has no "challenge" field' : 'the response echoed a different challenge'
    return { ok: false, error: { kind: 'bad_challenge', message }, latencyMs: elapsed(start) }
  }
  return { ok: true, latencyMs: elapsed(start) }
}
