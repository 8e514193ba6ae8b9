import { readdirSync, statSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { join, resolve } from 'node:path'
import { CkitError } from '../errors.js'
import { buildSignedRequest, decodeContext, HEADERS, pathParameterOf, readHeader, verify } from '../signature/index.js'
import { CONTRACT } from './contract.js'

/** The contracts shipped with connection-kit (contracts/ in the package). */
export const SHIPPED_CONTRACTS = new URL('../../contracts/', import.meta.url).pathname

export interface VerifyProviderOptions {
  /** Where the endpoint is configured, e.g. http://127.0.0.1:3000/yetto (the path parameter is appended). */
  readonly providerBaseUrl: string
  /** The signing secret the endpoint verifies with. */
  readonly secret: string
  /** Pact files or folders of them (default: the shipped HTTP contract). */
  readonly contracts?: readonly string[]
  /** Pact's standard state-change endpoint of the provider: POST { state, params, action }. */
  readonly stateChangeUrl?: string
  /** In-process state handlers (tests): state sentence → setup. */
  readonly stateHandlers?: Record<string, () => Promise<unknown> | unknown>
  readonly broker?: { readonly url: string; readonly token?: string; readonly providerVersion?: string; readonly publish?: boolean; readonly consumerVersionSelectors?: readonly Record<string, unknown>[] }
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug'
}

/** The HTTP pact files among the given paths (folders are searched one level deep). */
export function contractFiles(paths: readonly string[]): string[] {
  const files: string[] = []
  for (const path of paths) {
    let stat
    try {
      stat = statSync(path)
    } catch {
      throw new CkitError('CKIT_PACT_INVALID_OPTION', `cannot read contracts at ${path}: no such file or folder`)
    }
    if (stat.isDirectory()) files.push(...readdirSync(path).filter((f) => f.endsWith('.json') && f.includes(CONTRACT.provider)).map((f) => join(path, f)))
    else files.push(resolve(path))
  }
  if (files.length === 0) throw new CkitError('CKIT_PACT_INVALID_OPTION', `no ${CONTRACT.provider} pact files in ${paths.join(', ')}`)
  return files
}

/**
 * What makes recorded requests valid for *this* provider: a request the contract signed with its
 * own (public) test secret is re-signed with the provider's secret, its `requested_at` set to now
 * so an endpoint's freshness check passes, and its path moved under the provider's base path.
 * Unsigned and deliberately mis-signed requests stay as recorded, so the 401 interactions still
 * test rejection.
 */
export function resignRequest(url: string, headers: Record<string, unknown>, options: { secret: string; basePath: string; nowMs?: number }): { url: string; signature?: string } {
  const parameter = pathParameterOf(url)
  const moved = `${options.basePath.replace(/\/+$/, '')}/${parameter}`
  const header = readHeader(headers as Record<string, string>, HEADERS.signature)
  if (header === undefined || !verify(CONTRACT.secret, parameter, header).ok) return { url: moved }
  const decoded = decodeContext(parameter)
  if (!decoded.ok) return { url: moved }
  const context = { ...decoded.context, requested_at: new Date(options.nowMs ?? Date.now()).toISOString() }
  const request = buildSignedRequest({ url: `http://provider${options.basePath}`, secret: options.secret, context })
  return { url: new URL(request.url).pathname, signature: request.signature }
}

export interface InteractionVerdict {
  readonly description: string
  readonly ok: boolean
  /** What did not match, in the verifier's words (path and expectation). */
  readonly mismatches: readonly string[]
}

export interface ProviderVerification {
  readonly ok: boolean
  readonly interactions: readonly InteractionVerdict[]
  /** The verifier's own report, line by line (ANSI colour removed). */
  readonly output: readonly string[]
}

interface VerifierReport {
  errors?: { interaction: string; mismatch?: { message?: string; mismatches?: { mismatch?: string; path?: string }[] } }[]
  interactionResults?: { description: string; result: string }[]
  output?: string[]
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '')

/** The verifier's JSON report as verdicts per interaction. */
function verdictsOf(report: VerifierReport): ProviderVerification {
  const interactions = (report.interactionResults ?? []).map((result) => {
    const errors = (report.errors ?? []).filter((e) => e.interaction.endsWith(` - ${result.description}`))
    const mismatches = errors.flatMap((e) => e.mismatch?.mismatches?.map((m) => `${m.path ?? ''} ${m.mismatch ?? ''}`.trim()) ?? (e.mismatch?.message ? [e.mismatch.message] : []))
    return { description: result.description, ok: result.result === 'OK', mismatches }
  })
  const output = (report.output ?? []).flatMap((line) => stripAnsi(line).split('\n'))
  return { ok: interactions.length > 0 && interactions.every((i) => i.ok), interactions, output }
}

/**
 * Runs the Pact Verifier against a live endpoint. Resolves with a verdict per interaction
 * (never rejects for a failing provider); throws CkitError for bad options.
 */
export async function verifyProvider(options: VerifyProviderOptions): Promise<ProviderVerification> {
  if (typeof options.secret !== 'string' || options.secret === '') throw new CkitError('CKIT_SIG_MISSING_SECRET', 'pact verify needs the signing secret the endpoint verifies with')
  let base: URL
  try {
    base = new URL(options.providerBaseUrl)
  } catch {
    throw new CkitError('CKIT_PACT_INVALID_OPTION', `the provider base URL must be an absolute http: or https: URL, instead got ${JSON.stringify(options.providerBaseUrl)}`)
  }
  const broker = options.broker
  const pactUrls = broker ? undefined : contractFiles(options.contracts ?? [SHIPPED_CONTRACTS])
  // The verifier's proxy hangs on a refused connection: say so before starting it.
  try {
    await fetch(base.origin, { method: 'HEAD', signal: AbortSignal.timeout(5000), redirect: 'manual' })
  } catch (cause) {
    const code = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).name
    throw new CkitError('CKIT_PACT_PROVIDER_UNREACHABLE', `cannot reach the provider at ${base.origin} (${code}); is it running?`, { cause })
  }
  const { Verifier } = await import('@pact-foundation/pact')
  const basePath = base.pathname === '/' ? '' : base.pathname
  const requestFilter = (req: IncomingMessage & { url: string }, _res: unknown, next: () => void) => {
    // The verifier's own routes (provider states) pass through the same filter.
    if (req.url.startsWith('/_pact')) return next()
    const { url, signature } = resignRequest(req.url, req.headers as Record<string, unknown>, { secret: options.secret, basePath })
    req.url = url
    if (signature !== undefined) {
      for (const name of Object.keys(req.headers)) if (name.toLowerCase() === HEADERS.signature.toLowerCase()) delete req.headers[name]
      req.headers[HEADERS.signature.toLowerCase()] = signature
    }
    next()
  }
  const verifier = new Verifier({
    provider: CONTRACT.provider,
    providerBaseUrl: base.origin,
    logLevel: options.logLevel ?? 'error',
    requestFilter: requestFilter as never,
    ...(broker
      ? {
          pactBrokerUrl: broker.url,
          ...(broker.token ? { pactBrokerToken: broker.token } : {}),
          ...(broker.providerVersion ? { providerVersion: broker.providerVersion } : {}),
          publishVerificationResult: broker.publish === true,
          ...(broker.consumerVersionSelectors ? { consumerVersionSelectors: broker.consumerVersionSelectors as never } : {}),
        }
      : { pactUrls: pactUrls! }),
    ...(options.stateChangeUrl ? { stateChangeUrl: options.stateChangeUrl } : {}),
    ...(options.stateHandlers ? { stateHandlers: Object.fromEntries(Object.entries(options.stateHandlers).map(([state, handler]) => [state, async () => handler()])) as never } : {}),
  })
  try {
    const output = await verifier.verifyProvider()
    const report = typeof output === 'string' && output.trim().startsWith('{') ? (JSON.parse(output) as VerifierReport) : undefined
    return report ? verdictsOf(report) : { ok: true, interactions: [], output: typeof output === 'string' ? output.split('\n') : [] }
  } catch (error) {
    const message = (error as Error).message
    if (message.trim().startsWith('{')) return verdictsOf(JSON.parse(message) as VerifierReport)
    throw error
  }
}
