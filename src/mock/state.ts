import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createSigner, type Signer } from '../signature/index.js'
import { CustomerSource } from './customers.js'
import { loadMockData, type MockData } from './data.js'
import { Journal, type JournalEntry } from './journal.js'
import type { ResolvedMockOptions } from './options.js'
import { compileScenarioFile, ScenarioBook, type CompiledConfig } from './scenarios.js'
import { SessionRegistry } from './sessions.js'

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
  /** Logs, when its response is over, a request refused before its route journaled it (a refused session): the standalone server's. */
  logUnjournaled: ((request: FastifyRequest, reply: FastifyReply) => void) | undefined
  /** The sessions (`/sessions/<id>/…`), one registry shared by the root and every session. */
  readonly sessions: SessionRegistry<MockState>
  /** This state's session id; undefined for the root (the default session). */
  readonly sessionId: string | undefined
}

/**
 * Which state a request is served from: the root's for the root routes, its session's under
 * `/sessions/<id>/`. Route groups take the root state (options, signer: shared) and this.
 */
export type StateOf = (request: FastifyRequest) => MockState

/** Route-group options: the root state, and how a request finds its own (the root by default). */
export interface RouteGroupOptions {
  readonly state: MockState
  readonly stateOf?: StateOf
}

/** Loads a data folder and compiles its scenarios (with the global --scenario, if any). Throws CkitError naming the file and place. */
function loadAndCompile(options: ResolvedMockOptions): { data: MockData; book: CompiledConfig } {
  const data = loadMockData(options.dataDir)
  return { data, book: compileScenarioFile(data.scenarios, options.scenario, options.seed, 'scenarios.yaml') }
}

/** Loads data and compiles scenarios; any problem is a CkitError naming the file and place. */
export function createMockState(options: ResolvedMockOptions): MockState {
  const { data, book } = loadAndCompile(options)
  const sessions = new SessionRegistry<MockState>(options.maxSessions, options.sessionIdleMs, (id) => sessionState(root, id))
  const root: MockState = {
    options,
    data,
    customers: new CustomerSource(data, { seed: options.seed, cacheEntries: options.cacheEntries, cacheBytes: options.cacheBytes, runtimeCustomers: options.runtimeCustomers, runtimeCustomerBytes: options.runtimeCustomerBytes }),
    scenarios: new ScenarioBook(book),
    journal: new Journal(options.journalEntries),
    signer: options.verify && options.secret ? createSigner(options.secret) : undefined,
    inFlight: new Set(),
    held: new Set(),
    requestLog: undefined,
    logUnjournaled: undefined,
    sessions,
    sessionId: undefined,
  }
  return root
}

/**
 * A session is the root's mutable state made anew — scenarios and their counters, runtime
 * customers, journal — over what it shares: options, data folder, signer, prepared responses and
 * the customer generator. Work to cancel on close is tracked in the root's sets.
 */
function sessionState(root: MockState, id: string): MockState {
  return {
    options: root.options,
    data: root.data,
    customers: root.customers.forSession(),
    scenarios: root.scenarios.fork(),
    journal: new Journal(root.options.journalEntries),
    signer: root.signer,
    inFlight: root.inFlight,
    held: root.held,
    // Set by the standalone server after start-up; read at each request.
    get logUnjournaled() {
      return root.logUnjournaled
    },
    get requestLog() {
      return root.requestLog
    },
    sessions: root.sessions,
    sessionId: id,
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
  state.customers.reload(loaded.data)
  for (const each of [state, ...state.sessions.states()]) {
    each.data = loaded.data
    each.scenarios.rebase(loaded.book)
  }
  return { ok: true }
}

/** Start-up scenarios and fresh counters, an empty journal, no runtime customers (POST /__admin/reset, mock.reset()). */
export function resetState(state: MockState): void {
  state.scenarios.reset()
  state.customers.clear()
  state.journal.clear()
}
