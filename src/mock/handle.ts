import { CkitError } from '../errors.js'
import { describeAt } from '../schema/index.js'
import type { CustomerSource } from './customers.js'
import type { JournalEntry, JournalFilter } from './journal.js'
import { compileScenarioConfig, type RuleConfig, type ScenarioConfig } from './scenarios.js'
import { resetState, type MockState } from './state.js'

/** What the admin API's /__admin/journal does, in-process. */
export interface MockJournal {
  /** Newest first, the entries matching every filter given. */
  list(filter?: JournalFilter): JournalEntry[]
  count(filter?: JournalFilter): number
  /**
   * Resolves with the matching entries (newest first) once at least `count` (default 1) requests
   * match; rejects with CKIT_MOCK_WAIT_TIMEOUT after `timeoutMs` (default 5000) saying how many did.
   * Entries are recorded when a request arrives, so `outcome: 'answered'` waits for its answer.
   */
  waitFor(filter: JournalFilter, options?: { readonly count?: number; readonly timeoutMs?: number }): Promise<JournalEntry[]>
}

/** What PUT /__admin/scenarios does, plus rules one at a time. */
export interface MockScenarios {
  /** The configuration in force. */
  readonly active: ScenarioConfig
  /** Replaces the configuration; an invalid one throws CKIT_MOCK_UNKNOWN_SCENARIO naming each pointer, and changes nothing. */
  set(config: ScenarioConfig): void
  /** Adds one rule after the others and returns the id that removes it; counters of other rules keep running. */
  add(rule: RuleConfig): string
  /** Removes a rule `add` returned; false when it is gone already (a set or reset drops added rules). */
  remove(id: string): boolean
}

/** The test handle of the mock or of one session: what its admin API does, without HTTP. */
export interface MockHandle {
  /** The customer-connection URL to configure a help desk (or client) with. */
  readonly url: string
  /** Change what is served while running, like /__admin/customers (in memory only). */
  readonly customers: Pick<CustomerSource, 'set' | 'patch' | 'served' | 'delete' | 'list'>
  readonly journal: MockJournal
  readonly scenarios: MockScenarios
  /** Start-up scenarios and counters, an empty journal, no runtime customers (POST /__admin/reset). */
  reset(): void
}

/** 🔧 How often waitFor looks at the journal: entries complete in place, without an event. */
const WAIT_POLL_MS = 10
const MAX_WAIT_MS = 10 * 60 * 1000

const invalid = (message: string): CkitError => new CkitError('CKIT_MOCK_INVALID_OPTION', message)

const invalidScenarios = (what: string, errors: readonly { pointer: string; message: string }[]): CkitError => new CkitError('CKIT_MOCK_UNKNOWN_SCENARIO', `${what}: ${describeAt(errors)}`)

function waitFor(state: () => MockState, filter: JournalFilter, options: { readonly count?: number; readonly timeoutMs?: number } = {}): Promise<JournalEntry[]> {
  const { count = 1, timeoutMs = 5000 } = options
  if (!Number.isInteger(count) || count < 1) return Promise.reject(invalid(`waitFor count must be a whole number of at least 1, instead got ${JSON.stringify(count)}`))
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_WAIT_MS) return Promise.reject(invalid(`waitFor timeoutMs must be a whole number from 1 to ${MAX_WAIT_MS}, instead got ${JSON.stringify(timeoutMs)}`))
  return new Promise((resolve, reject) => {
    const look = (): boolean => {
      if (state().journal.count(filter) < count) return false
      clearInterval(poll)
      clearTimeout(timer)
      resolve(state().journal.list(filter))
      return true
    }
    const poll = setInterval(look, WAIT_POLL_MS)
    const timer = setTimeout(() => {
      if (look()) return
      clearInterval(poll)
      const seen = state().journal.count(filter)
      reject(new CkitError('CKIT_MOCK_WAIT_TIMEOUT', `waited ${timeoutMs} ms for ${count} request${count === 1 ? '' : 's'} matching ${JSON.stringify(filter)}; ${seen} arrived`))
    }, timeoutMs)
    look()
  })
}

/**
 * A handle over a state found afresh at each call: a session's handle keeps working (with a new,
 * empty session) after the mock forgot an idle one, as the same URL would over HTTP.
 */
export function mockHandle(state: () => MockState, url: string): MockHandle {
  return {
    url,
    customers: {
      set: (email, document) => state().customers.set(email, document),
      patch: (email, patch) => state().customers.patch(email, patch),
      served: (email) => state().customers.served(email),
      delete: (email) => state().customers.delete(email),
      list: () => state().customers.list(),
    },
    journal: {
      list: (filter) => state().journal.list(filter),
      count: (filter) => state().journal.count(filter),
      waitFor: (filter, options) => waitFor(state, filter, options),
    },
    scenarios: {
      get active() {
        return state().scenarios.config
      },
      set: (config) => {
        const current = state()
        const compiled = compileScenarioConfig(config, current.options.seed)
        if (!compiled.ok) throw invalidScenarios('scenarios.set', compiled.errors)
        current.scenarios.replace(compiled.book)
      },
      add: (rule) => {
        const added = state().scenarios.add(rule)
        if (!added.ok) throw invalidScenarios('scenarios.add', added.errors)
        return added.id
      },
      remove: (id) => state().scenarios.remove(id),
    },
    reset: () => resetState(state()),
  }
}
