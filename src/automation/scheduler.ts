import type { TemplateEngine } from '../render/index.js'
import type { Switch } from '../schema/index.js'
import { evaluateScheduled, scheduledJobs, type CustomerSource, type ScheduledJob } from './evaluate.js'
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

  constructor(options: { clock?: Clock; engine?: TemplateEngine } = {}) {
    this.#clock = options.clock ?? { now: () => Date.now() }
    this.#engine = options.engine
  }

  /** Registers the scheduled entries a switch sets up for an event that happens now. */
  schedule(switchDoc: Switch, options: ScheduleOptions): number {
    const payload = typeof options.payload === 'function' ? (options.payload as () => unknown) : () => options.payload
    const jobs = scheduledJobs(switchDoc, options.event, new Date(this.#clock.now()))
    for (const job of jobs) this.#pending.push({ ...job, event: options.event, payload, customer: options.customer })
    this.#pending.sort((a, b) => a.dueAt - b.dueAt)
    return jobs.length
  }

  /** What is waiting, soonest first. */
  pending(): { pattern: string; index: number; after: string; dueAt: string }[] {
    return this.#pending.map((job) => ({ pattern: job.pattern, index: job.index, after: job.entry.after, dueAt: new Date(job.dueAt).toISOString() }))
  }

  /** Evaluates and removes every entry due by the clock's now. */
  async runDue(): Promise<(ScheduledPlan & { pattern: string; event: string })[]> {
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

  /** Fires entries on real timers, reporting each batch; `stop()` cancels. */
  start(onFired: (plans: (ScheduledPlan & { pattern: string; event: string })[]) => void): void {
    this.stop()
    const next = this.#pending[0]
    if (!next) return
    this.#timer = setTimeout(() => {
      void this.runDue().then((plans) => {
        onFired(plans)
        this.start(onFired)
      })
    }, Math.max(0, next.dueAt - this.#clock.now()))
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
