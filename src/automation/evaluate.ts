import type { FailureKind } from '../client/index.js'
import { CkitError, isCkitError } from '../errors.js'
import { defaultEngine, type TemplateEngine } from '../render/index.js'
import { escapePointerToken, eventCatalogue, unknownEventMessage, validate, type Action, type Conditions, type EventHandler, type Switch } from '../schema/index.js'
import { parseDuration } from './duration.js'
import { evaluateCondition, partTemplates, readsCustomer, renderDeep, renderString, renderUrl, sandboxFor, type Sandbox } from './liquid.js'
import type { ConditionVerdict, CustomerStatus, HandlerPlan, Plan, PlannedAction, ScheduledPlan, Skipped } from './plan.js'

export type CustomerLookup = { ok: true; customer: Record<string, unknown> } | { ok: false; kind: FailureKind; message: string }

/** Where `data.customer` comes from: data already at hand, or a fetch made at evaluation time. */
export type CustomerSource = Record<string, unknown> | (() => Promise<CustomerLookup>)

export interface EvaluateOptions {
  /** A documented event name, e.g. `message.created`. */
  readonly event: string
  /** The event's object, bare (`{ id, visibility, … }`) or in its envelope (`{ "yetto": { "message": … } }`). */
  readonly payload: unknown
  readonly customer?: CustomerSource
  /** When the event happened (default now). */
  readonly now?: Date
  /** Evaluate as of this time: scheduled actions due by then are evaluated (default: the event time). */
  readonly at?: Date
  readonly engine?: TemplateEngine
}

export function patternMatches(pattern: string, event: string): boolean {
  return pattern === event || (pattern.endsWith('.*') && event.startsWith(pattern.slice(0, -1)))
}

/** `data.yetto` is the envelope's content: `{ message: {…} }` for message events. */
export function yettoData(event: string, payload: unknown): Record<string, unknown> {
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && Object.hasOwn(payload, 'yetto')) {
    const inner = (payload as { yetto: unknown }).yetto
    return inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {}
  }
  const key = eventCatalogue().get(event)!
  return { [key]: payload }
}

/** Lazily fetches the customer once per evaluation; every part that needs it shares the answer. */
class CustomerMemo {
  #result: Promise<CustomerLookup> | undefined
  #status: CustomerStatus = { status: 'not_needed' }
  constructor(readonly source: CustomerSource | undefined) {}

  get status(): CustomerStatus {
    return this.#status
  }

  async get(): Promise<CustomerLookup> {
    if (!this.#result) {
      const source = this.source
      if (source === undefined) {
        this.#result = Promise.resolve({ ok: false, kind: 'network', message: 'the switch needs data.customer but no customer connection or customer data was given' })
      } else if (typeof source === 'function') {
        // Misuse (an invalid e-mail in the context, a missing secret) is the caller's error, not the endpoint's.
        this.#result = source().catch((error: unknown) => {
          if (isCkitError(error)) throw error
          return { ok: false as const, kind: 'network' as const, message: (error as Error).message }
        })
      } else {
        this.#result = Promise.resolve({ ok: true, customer: source })
      }
      const lookup = await this.#result
      this.#status = lookup.ok ? { status: typeof source === 'function' ? 'fetched' : 'provided' } : { status: 'failed', kind: lookup.kind, message: lookup.message }
    }
    return this.#result
  }
}

function verdicts(sandbox: Sandbox, conditions: Conditions | undefined, scope: object): { list: ConditionVerdict[]; run: boolean; error?: string } {
  const list: ConditionVerdict[] = []
  let run = true
  let error: string | undefined
  for (const which of ['if', 'unless'] as const) {
    const expression = conditions?.[which]
    if (expression === undefined) continue
    const outcome = evaluateCondition(sandbox, expression, scope)
    if (!outcome.ok) {
      list.push({ which, expression, value: undefined, passed: false, error: outcome.message })
      error ??= `${which}: ${outcome.message}`
      run = false
      continue
    }
    const passed = which === 'if' ? outcome.value : !outcome.value
    list.push({ which, expression, value: outcome.value, passed })
    run &&= passed
  }
  return { list, run, ...(error === undefined ? {} : { error }) }
}

function renderList(sandbox: Sandbox, values: readonly string[] | undefined, scope: object, errors: string[], field: string): string[] {
  return (values ?? []).map((value, i) => {
    const outcome = renderString(sandbox, value, scope)
    if (!outcome.ok) errors.push(`${field}/${i}: ${outcome.message}`)
    return outcome.ok ? outcome.value.trim() : value
  }).filter((value) => value !== '')
}

function planAction(sandbox: Sandbox, action: Action, index: number, scope: object, envelope: unknown): PlannedAction {
  const errors: string[] = []
  const base = { index, ...(action.name === undefined ? {} : { name: action.name }) }
  let planned: PlannedAction
  if (action.uses === 'http_request') {
    const url = renderUrl(sandbox, action.to.url, scope)
    if (!url.ok) errors.push(`to/url: ${url.message}`)
    const headers: Record<string, string> = {}
    for (const [i, header] of (action.with.headers ?? []).entries()) {
      for (const [name, value] of Object.entries(header)) {
        if (value === undefined) continue
        const rendered = renderString(sandbox, value, scope)
        if (!rendered.ok) errors.push(`with/headers/${i}/${name}: ${rendered.message}`)
        headers[name] = rendered.ok ? rendered.value : value
      }
    }
    // Without a body, the event payload is sent (📘 docs).
    const body = action.with.body === undefined ? envelope : renderDeep(sandbox, action.with.body, scope, 'with/body', errors)
    planned = { ...base, uses: 'http_request', url: url.ok ? url.value : action.to.url, method: action.with.method, headers, body }
  } else {
    const remove = action.remove === '*' ? '*' : renderList(sandbox, action.remove, scope, errors, 'remove')
    planned = { ...base, uses: action.uses, add: renderList(sandbox, action.add, scope, errors, 'add'), remove }
  }
  return errors.length > 0 ? { ...planned, error: errors.join('; ') } : planned
}

interface Part {
  readonly conditions?: Conditions | undefined
  readonly actions?: readonly Action[] | undefined
}

async function evaluatePart(sandbox: Sandbox, part: Part, yetto: Record<string, unknown>, envelope: unknown, customer: CustomerMemo): Promise<{ status: 'ran' | 'skipped'; skipped?: Skipped; conditions: ConditionVerdict[]; actions: PlannedAction[] }> {
  let customerData: Record<string, unknown> = {}
  // Never run on missing or earlier data: a part that uses data.customer needs a fresh, successful fetch.
  if (partTemplates(part).some((source) => readsCustomer(sandbox.engine, source))) {
    const lookup = await customer.get()
    if (!lookup.ok) return { status: 'skipped', skipped: { reason: 'customer_unavailable', kind: lookup.kind, message: lookup.message }, conditions: [], actions: [] }
    customerData = lookup.customer
  }
  const scope = { data: { yetto, customer: customerData } }
  const checked = verdicts(sandbox, part.conditions, scope)
  if (checked.error !== undefined) return { status: 'skipped', skipped: { reason: 'condition_error', message: checked.error }, conditions: checked.list, actions: [] }
  if (!checked.run) return { status: 'skipped', skipped: { reason: 'conditions_false', message: 'the conditions do not hold' }, conditions: checked.list, actions: [] }
  return { status: 'ran', conditions: checked.list, actions: (part.actions ?? []).map((action, i) => planAction(sandbox, action, i, scope, envelope)) }
}

export interface ScheduledJob {
  readonly pattern: string
  readonly index: number
  readonly entry: NonNullable<EventHandler['scheduled']>[number]
  readonly dueAt: number
}

async function planScheduled(sandbox: Sandbox, job: ScheduledJob, yetto: Record<string, unknown>, customer: CustomerMemo): Promise<ScheduledPlan> {
  const result = await evaluatePart(sandbox, job.entry, yetto, { yetto }, customer)
  return { index: job.index, after: job.entry.after, delayMs: parseDuration(job.entry.after), dueAt: new Date(job.dueAt).toISOString(), ...result }
}

/** Evaluates one scheduled entry as it is when its timer fires (conditions re-checked, customer fetched afresh). */
export async function evaluateScheduled(job: ScheduledJob, options: { event: string; payload: unknown; customer?: CustomerSource; engine?: TemplateEngine }): Promise<ScheduledPlan> {
  return planScheduled(sandboxFor(options.engine ?? defaultEngine()), job, yettoData(options.event, options.payload), new CustomerMemo(options.customer))
}

/** Validates a switch, durations included (a schema pattern cannot cap their total); throws CKIT_AUTOMATION_INVALID_SWITCH with every pointer. */
export function assertSwitch(switchDoc: unknown): Switch {
  const checked = validate('switch', switchDoc, { strict: true })
  const problems = checked.errors.map((e) => `${e.pointer || '/'}: ${e.message}`)
  if (checked.valid) {
    for (const [pattern, handler] of Object.entries(checked.value.events)) {
      for (const [index, entry] of (handler?.scheduled ?? []).entries()) {
        try {
          parseDuration(entry.after)
        } catch (error) {
          problems.push(`/events/${escapePointerToken(pattern)}/scheduled/${index}/after: ${(error as Error).message}`)
        }
      }
    }
  }
  if (problems.length > 0) throw new CkitError('CKIT_AUTOMATION_INVALID_SWITCH', `the switch is invalid: ${problems.join('; ')}`)
  return checked.value as Switch
}

/** The scheduled entries a switch sets up for an event, with their due times. */
export function scheduledJobs(switchDoc: Switch, event: string, occurredAt: Date): ScheduledJob[] {
  const jobs: ScheduledJob[] = []
  for (const [pattern, handler] of Object.entries(switchDoc.events)) {
    if (!handler || !patternMatches(pattern, event)) continue
    for (const [index, entry] of (handler.scheduled ?? []).entries()) jobs.push({ pattern, index, entry, dueAt: occurredAt.getTime() + parseDuration(entry.after) })
  }
  return jobs
}

/**
 * What a switch does for an event: which keys matched (including `group.*`), each condition's
 * verdict, the actions with their Liquid rendered, scheduled actions with due times (evaluated
 * when due by `at`), and what was skipped and why. A part that needs `data.customer` when the
 * customer connection fails is skipped with the failure kind. Never throws for any payload or
 * customer data; throws CkitError for an invalid switch or an unknown event name.
 */
export async function evaluate(switchDoc: unknown, options: EvaluateOptions): Promise<Plan> {
  const doc = assertSwitch(switchDoc)
  if (!eventCatalogue().has(options.event)) {
    throw new CkitError('CKIT_AUTOMATION_UNKNOWN_EVENT', unknownEventMessage(options.event))
  }
  // One budget for the whole evaluation: many actions cannot add up to more work than one response.
  const sandbox = sandboxFor(options.engine ?? defaultEngine())
  const occurredAt = options.now ?? new Date()
  const at = options.at ?? occurredAt
  const yetto = yettoData(options.event, options.payload)
  const envelope = { yetto }
  const customer = new CustomerMemo(options.customer)
  const handlers: HandlerPlan[] = []
  const unmatched: string[] = []
  const jobs = scheduledJobs(doc, options.event, occurredAt)
  for (const [pattern, handler] of Object.entries(doc.events)) {
    if (!handler || !patternMatches(pattern, options.event)) {
      unmatched.push(pattern)
      continue
    }
    const immediate = handler.actions || handler.conditions ? await evaluatePart(sandbox, handler, yetto, envelope, customer) : { status: 'ran' as const, conditions: [], actions: [] }
    const scheduled: ScheduledPlan[] = []
    for (const job of jobs.filter((j) => j.pattern === pattern)) {
      if (job.dueAt > at.getTime()) {
        scheduled.push({ index: job.index, after: job.entry.after, delayMs: job.dueAt - occurredAt.getTime(), dueAt: new Date(job.dueAt).toISOString(), status: 'pending', conditions: [], actions: [] })
      } else {
        // Due within this evaluation: the customer fetched for it (at most once) serves these too.
        scheduled.push(await planScheduled(sandbox, job, yetto, customer))
      }
    }
    handlers.push({ pattern, ...immediate, scheduled })
  }
  return { event: options.event, occurredAt: occurredAt.toISOString(), evaluatedAt: at.toISOString(), customer: customer.status, handlers, unmatched }
}
