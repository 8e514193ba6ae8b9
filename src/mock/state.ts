import type { ServerResponse } from 'node:http'
import { CkitError } from '../errors.js'
import { createSigner, type Signer } from '../signature/index.js'
import { CustomerSource } from './customers.js'
import { loadMockData, type MockData } from './data.js'
import { Journal, type JournalEntry } from './journal.js'
import type { ResolvedMockOptions } from './options.js'
import { compileScenarioConfig, parseScenario, ScenarioBook } from './scenarios.js'

/** Everything the mock's route groups share, built once at start-up. */
export interface MockState {
  readonly options: ResolvedMockOptions
  /** The data folder in force; replaced whole by reloadMockData. */
  data: MockData
  readonly customers: CustomerSource
  readonly scenarios: ScenarioBook
  readonly journal: Journal
  readonly signer: Signer | undefined
  /** In-flight work to cancel on close: pending timers and hung responses. */
  readonly inFlight: Set<AbortController>
  readonly held: Set<ServerResponse>
  /** Called with each customer-connection request's journal entry once its response is over: the standalone server's request log. */
  requestLog: ((entry: JournalEntry, requestId: string) => void) | undefined
}

/** Loads a data folder and compiles its scenarios (with the global --scenario, if any). Throws CkitError naming the file and place. */
function loadAndCompile(options: ResolvedMockOptions): { data: MockData; book: ReturnType<typeof compileScenarioConfig> & { ok: true } } {
  const data = loadMockData(options.dataDir)
  const config = data.scenarios as Record<string, unknown> | null
  const withGlobal = options.scenario === undefined ? config : { ...(config ?? {}), default: options.scenario }
  if (options.scenario !== undefined) {
    const parsed = parseScenario(options.scenario)
    if (!parsed.ok) throw new CkitError('CKIT_MOCK_UNKNOWN_SCENARIO', `scenario ${parsed.message}`, { option: 'scenario' })
  }
  const compiled = compileScenarioConfig(withGlobal ?? {}, options.seed)
  if (!compiled.ok) {
    const detail = compiled.errors.map((e) => `scenarios.yaml${e.pointer}: ${e.message}`).join('; ')
    throw new CkitError('CKIT_MOCK_UNKNOWN_SCENARIO', detail)
  }
  return { data, book: compiled }
}

/** Loads data and compiles scenarios; any problem is a CkitError naming the file and place. */
export function createMockState(options: ResolvedMockOptions): MockState {
  const { data, book } = loadAndCompile(options)
  return {
    options,
    data,
    customers: new CustomerSource(data, { seed: options.seed, cacheEntries: options.cacheEntries, cacheBytes: options.cacheBytes, runtimeCustomers: options.runtimeCustomers, runtimeCustomerBytes: options.runtimeCustomerBytes }),
    scenarios: new ScenarioBook(book.book),
    journal: new Journal(options.journalEntries),
    signer: options.verify && options.secret ? createSigner(options.secret) : undefined,
    inFlight: new Set(),
    held: new Set(),
    requestLog: undefined,
  }
}

/**
 * Reloads the data folder all or nothing: everything is loaded and checked first, and only then
 * swapped in; on any problem the mock keeps serving the last good data and the error says which
 * file and pointer. Runtime customers stay.
 */
export function reloadMockData(state: MockState): { ok: true } | { ok: false; message: string } {
  let loaded
  try {
    loaded = loadAndCompile(state.options)
  } catch (error) {
    return { ok: false, message: (error as Error).message }
  }
  state.data = loaded.data
  state.customers.reload(loaded.data)
  state.scenarios.rebase(loaded.book.book)
  return { ok: true }
}
