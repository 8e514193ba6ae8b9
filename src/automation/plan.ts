import type { FailureKind } from '../client/index.js'

/** One condition's verdict. */
export interface ConditionVerdict {
  readonly which: 'if' | 'unless'
  readonly expression: string
  /** The expression's value; undefined when it could not be evaluated. */
  readonly value: boolean | undefined
  /** Whether this condition lets the actions run. */
  readonly passed: boolean
  readonly error?: string
}

interface ActionBase {
  readonly index: number
  readonly name?: string
  /** Set when a Liquid field of the action failed; the action does not run. */
  readonly error?: string
}

export type PlannedAction =
  | (ActionBase & { readonly uses: 'apply_labels' | 'assign_conversation'; readonly add: readonly string[]; readonly remove: readonly string[] | '*' })
  | (ActionBase & {
      readonly uses: 'http_request'
      readonly url: string
      readonly method: string
      readonly headers: Readonly<Record<string, string>>
      readonly body: unknown
    })

export type SkipReason = 'conditions_false' | 'customer_unavailable' | 'condition_error'

export interface Skipped {
  readonly reason: SkipReason
  /** For customer_unavailable: the client's failure kind. */
  readonly kind?: FailureKind
  readonly message: string
}

export interface ScheduledPlan {
  readonly index: number
  readonly after: string
  readonly delayMs: number
  /** ISO time the timer fires (event time + after). */
  readonly dueAt: string
  /** pending: not due yet at the evaluation time; ran / skipped: evaluated when due. */
  readonly status: 'pending' | 'ran' | 'skipped'
  readonly skipped?: Skipped
  readonly conditions: readonly ConditionVerdict[]
  readonly actions: readonly PlannedAction[]
}

export interface HandlerPlan {
  /** The switch's key that matched: the event name or its `group.*` wildcard. */
  readonly pattern: string
  readonly status: 'ran' | 'skipped'
  readonly skipped?: Skipped
  readonly conditions: readonly ConditionVerdict[]
  readonly actions: readonly PlannedAction[]
  readonly scheduled: readonly ScheduledPlan[]
}

export interface CustomerStatus {
  readonly status: 'not_needed' | 'provided' | 'fetched' | 'failed'
  readonly kind?: FailureKind
  readonly message?: string
}

/** What a switch does for one event: pure data, ready for a dry run or the executor. */
export interface Plan {
  readonly event: string
  /** ISO time of the event. */
  readonly occurredAt: string
  /** ISO time the plan was evaluated at (scheduled actions due by then were evaluated). */
  readonly evaluatedAt: string
  readonly customer: CustomerStatus
  readonly handlers: readonly HandlerPlan[]
  /** Switch keys that did not match this event. */
  readonly unmatched: readonly string[]
}
