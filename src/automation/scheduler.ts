import type { TemplateEngine } from '../render/index.js'
import type { Switch } from '../schema/index.js'
import { CkitError } from '../errors.js'
import { assertSwitch, evaluateScheduled, scheduledJobs, type CustomerSource, type ScheduledJob } from './evaluate.js'
import type { ScheduledPlan } from './plan.js'

export interface Clock {
  now(): number
}

interface Pending extends ScheduledJob {
  readonly event: string
  /** The payload as it is when the timer fires (a getter, so a later change is seen). */
  readonly payload: () => unknown
  readonly customer: CustomerSource | undefined
}

/** setTimeout fires at once for delays above 2^31 - 1 ms (~24.8 days); longer waits re-arm in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

export type FiredPlans = (ScheduledPlan & { pattern: string; event: string })[]

export interface StartOptions {
  /** Called with any error from evaluating or from `onFired`; the timers keep running. Default: a process warning. */
  readonly onError?: (error: unknown) => void
}

export interface ScheduleOptions {
  readonly event: string
  readonly payload: unknown | (() => unknown)
  readonly customer?: CustomerSource
}

/**
 * Holds scheduled actions until they are due. Time comes from an injectable clock, so tests
 * move time instead of waiting; `runDue` evaluates every due entry *as it is then*: conditions
 * re-checked against the current payload, customer data fetched afresh.
 */
export class Scheduler {
  readonly #pending: Pending[] = []
  readonly #clock: Clock
  readonly #engine: TemplateEngine | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #generation = 0
  #chain: { onFired: (plans: FiredPlans) => void | Promise<void>; options: StartOptions } | undefined

  constructor(options: { clock?: Clock; engine?: TemplateEngine } = {}) {
    if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
      throw new CkitError('CKIT_AUTOMATION_INVALID_OPTION', 'Scheduler option clock must be an object with a now() method returning ms')
    }
    this.#clock = options.clock ?? { now: () => Date.now() }
    this.#engine = options.engine
  }

  /**
   * Registers the scheduled entries a switch sets up for an event that happens now. The switch is
   * validated first (CKIT_AUTOMATION_INVALID_SWITCH), so nothing half-registers.
   */
  schedule(switchDoc: Switch, options: ScheduleOptions): number {
    assertSwitch(switchDoc)
    const payload = typeof options.payload === 'function' ? (options.payload as () => unknown) : () => options.payload
    const jobs = scheduledJobs(switchDoc, options.event, new Date(this.#clock.now()))
    for (const job of jobs) this.#pending.push({ ...job, event: options.event, payload, customer: options.customer })
    this.#pending.sort((a, b) => a.dueAt - b.dueAt)
    // A running chain re-arms, so an entry due sooner than the armed timer is not fired late.
    if (this.#chain && this.#timer) this.start(this.#chain.onFired, this.#chain.options)
    return jobs.length
  }

  /** What is waiting, soonest first. */
  pending(): { pattern: string; index: number; after: string; dueAt: string }[] {
    return this.#pending.map((job) => ({ pattern: job.pattern, index: job.index, after: job.entry.after, dueAt: new Date(job.dueAt).toISOString() }))
  }

  /** Evaluates and removes every entry due by the clock's now. */
  async runDue(): Promise<FiredPlans> {
    const now = this.#clock.now()
    const due: Pending[] = []
    while (this.#pending.length > 0 && this.#pending[0]!.dueAt <= now) due.push(this.#pending.shift()!)
    const results = []
    for (const job of due) {
      const plan = await evaluateScheduled(job, {
        event: job.event,
        payload: job.payload(),
        ...(job.customer === undefined ? {} : { customer: job.customer }),
        ...(this.#engine ? { engine: this.#engine } : {}),
      })
      results.push({ ...plan, pattern: job.pattern, event: job.event })
    }
    return results
  }

  /**
   * Fires entries on real timers, reporting each batch; `stop()` cancels. An error while
   * evaluating or inside `onFired` goes to `onError` and the chain goes on: one bad batch never
   * stops later ones or crashes the process.
   */
  start(onFired: (plans: FiredPlans) => void | Promise<void>, options: StartOptions = {}): void {
    if (typeof onFired !== 'function') throw new CkitError('CKIT_AUTOMATION_INVALID_OPTION', 'Scheduler.start needs an onFired callback')
    const onError = options.onError ?? ((error: unknown) => process.emitWarning(`connection-kit Scheduler: ${error instanceof Error ? error.message : String(error)}`, 'CkitSchedulerWarning'))
    this.stop()
    this.#chain = { onFired, options }
    const generation = this.#generation
    const next = this.#pending[0]
    if (!next) return
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, next.dueAt - this.#clock.now()))
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void (async () => {
        try {
          const plans = await this.runDue()
          if (plans.length > 0) await onFired(plans)
        } catch (error) {
          try {
            onError(error)
          } catch {
            // An error handler that throws must not break the chain either.
          }
        }
        // stop() during the batch ends the chain; start() again is a new one.
        if (generation === this.#generation) this.start(onFired, options)
      })()
    }, wait)
  }

  stop(): void {
    this.#generation++
    this.#chain = undefined
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
