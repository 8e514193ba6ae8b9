import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CkitError } from '../errors.js'
import { terminalSafe } from '../render/text.js'
import { HEADERS } from '../signature/index.js'
import { CONTRACT } from './contract.js'
import { exchangeKey } from './proxy.js'

/** The contracts shipped with connection-kit (contracts/ in the package). */
export const SHIPPED_CONTRACTS = new URL('../../contracts/', import.meta.url).pathname

/** One HTTP interaction of a pact file, with the request key the contract proxy records it under. */
export interface ContractInteraction {
  readonly description: string
  readonly states: readonly string[]
  readonly key: string
}

export interface LoadedContract {
  readonly file: string
  readonly interactions: readonly ContractInteraction[]
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

interface PactDocument {
  provider?: { name?: unknown }
  interactions?: unknown
  messages?: unknown
}
interface PactInteraction {
  description?: unknown
  type?: unknown
  providerState?: unknown
  providerStates?: { name?: unknown }[]
  request?: { method?: unknown; path?: unknown; headers?: Record<string, unknown> }
}

// eslint-disable-next-line no-control-regex -- C0, DEL and C1: what a terminal acts on
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * The Pact core prints descriptions and state names raw to the terminal: a contract file with an
 * escape sequence in one could rewrite the report (hide a failure) or steer the terminal.
 */
function refuseControl(file: string, where: string, value: unknown): void {
  if (typeof value === 'string' && CONTROL.test(value)) {
    throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file}: ${where} "${terminalSafe(value.slice(0, 120))}" has a control character, which the Pact verifier would print raw to the terminal; remove it`)
  }
}

const firstString = (value: unknown): string | undefined => (typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value.join(', ') : undefined)

/**
 * Reads pact files and refuses, before any verifier runs, what is not a contract for a customer
 * endpoint: another provider (a message pact for the webhooks), message interactions, no
 * interactions. Otherwise the verifier would fail every interaction with a confusing body diff.
 */
export function loadContract(file: string): LoadedContract {
  let document: PactDocument
  try {
    document = JSON.parse(readFileSync(file, 'utf8')) as PactDocument
  } catch (cause) {
    throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file} is not a pact file: ${(cause as Error).message}`, { cause })
  }
  if (typeof document !== 'object' || document === null) throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file} is not a pact file: not a JSON object`)
  const provider = document.provider?.name
  if (provider !== CONTRACT.provider) {
    throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file} is a pact for provider ${JSON.stringify(provider ?? null)}; ckit pact verify checks customer endpoints, the provider ${JSON.stringify(CONTRACT.provider)}`)
  }
  refuseControl(file, 'the consumer name', (document as { consumer?: { name?: unknown } }).consumer?.name)
  const list = Array.isArray(document.interactions) ? (document.interactions as PactInteraction[]) : []
  const messages = (Array.isArray(document.messages) ? document.messages.length : 0) + list.filter((i) => typeof i.type === 'string' && i.type !== 'Synchronous/HTTP').length
  if (messages > 0) throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file} has ${messages} message interaction(s); ckit pact verify checks HTTP interactions only`)
  if (list.length === 0) throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file} has no interactions to verify`)
  const interactions = list.map((interaction, index) => {
    if (typeof interaction.description !== 'string' || typeof interaction.request?.path !== 'string') {
      throw new CkitError('CKIT_PACT_INVALID_OPTION', `${file}: interaction ${index} has no description or request path`)
    }
    refuseControl(file, `interaction ${index} description`, interaction.description)
    const named = `interaction "${interaction.description.slice(0, 120)}"`
    refuseControl(file, `${named}: provider state`, interaction.providerState)
    for (const state of interaction.providerStates ?? []) refuseControl(file, `${named}: provider state`, state?.name)
    const headers = interaction.request.headers ?? {}
    const signatureName = Object.keys(headers).find((name) => name.toLowerCase() === HEADERS.signature.toLowerCase())
    const states = interaction.providerStates?.map((s) => String(s.name)) ?? (typeof interaction.providerState === 'string' ? [interaction.providerState] : [])
    return { description: interaction.description, states, key: exchangeKey(String(interaction.request.method ?? 'GET'), interaction.request.path, signatureName ? firstString(headers[signatureName]) : undefined) }
  })
  return { file, interactions }
}
