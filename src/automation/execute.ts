import { CkitError } from '../errors.js'
import type { Plan } from './plan.js'
import { sendRequest, type HostResolver } from './network.js'
import { yettoData } from './evaluate.js'

/** The part of a conversation switches change, kept in memory. */
export interface ConversationState {
  readonly labels: readonly string[]
  readonly assignees: readonly string[]
}

export interface ExecutedRequest {
  readonly pattern: string
  readonly action: number
  readonly name?: string
  readonly method: string
  readonly url: string
  readonly status: number | null
  readonly ok: boolean
  readonly error?: string
  /** The option that would have let this refused request through (executePlan's allowPrivateNetwork). */
  readonly allowedBy?: 'allowPrivateNetwork'
  readonly latencyMs: number
}

export interface ExecutionResult {
  readonly conversation: ConversationState
  readonly requests: readonly ExecutedRequest[]
  /** Actions that did not run, and why. */
  readonly notRun: readonly { pattern: string; action: number; reason: string }[]
}

export interface ExecuteOptions {
  readonly conversation: ConversationState
  /** Per http_request action (🔧 10 s, like webhook deliveries). */
  readonly timeoutMs?: number
  /** All http_request actions of the plan together (🔧 30 s): later ones are not sent once it is spent. */
  readonly budgetMs?: number
  /** Most http_request actions one plan may send (🔧 20). */
  readonly maxRequests?: number
  /**
   * Send to loopback, private (RFC 1918, unique-local), link-local and other non-public addresses.
   * Off by default: a switch must not reach the help desk's own network. For tests and local use.
   */
  readonly allowPrivateNetwork?: boolean
  /** DNS resolution for http_request hosts (default: the system resolver); every address it returns must be public. */
  readonly resolveHost?: HostResolver
}

/** 🔧 docs/protocol.md §Automations: the executor's limits. */
export const EXECUTE_DEFAULTS = Object.freeze({
  timeoutMs: 10_000, // 10 s
  budgetMs: 30_000, // 30 s
  maxRequests: 20,
})

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new CkitError('CKIT_AUTOMATION_INVALID_OPTION', `executePlan option ${name} must be a whole number of at least 1, instead got ${String(value)}`)
  }
  return value
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])

/** The labels and assignees the event's conversation starts with, read from the payload. */
export function conversationFromPayload(event: string, payload: unknown): ConversationState {
  const yetto = yettoData(event, payload)
  const message = yetto['message'] as { conversation?: unknown } | undefined
  const conversation = (yetto['conversation'] ?? message?.conversation ?? {}) as { labels?: unknown; assignees?: unknown }
  return { labels: strings(conversation.labels), assignees: strings(conversation.assignees) }
}

/** 🔧 docs/protocol.md: removal applies first, so `{ remove: "*", add: [x] }` replaces with x. */
function applyList(current: readonly string[], action: { add: readonly string[]; remove: readonly string[] | '*' }): string[] {
  const kept = action.remove === '*' ? [] : current.filter((item) => !action.remove.includes(item))
  for (const item of action.add) if (!kept.includes(item)) kept.push(item)
  return kept
}

/**
 * Carries out a plan: labels and assignees change on the in-memory conversation, http_request
 * actions are sent (with a timeout). Immediate actions first, then scheduled ones that ran, each
 * in order.
 */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionResult> {
  let labels = [...options.conversation.labels]
  let assignees = [...options.conversation.assignees]
  const requests: ExecutedRequest[] = []
  const notRun: { pattern: string; action: number; reason: string }[] = []
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, EXECUTE_DEFAULTS.timeoutMs)
  const budgetMs = positiveInteger('budgetMs', options.budgetMs, EXECUTE_DEFAULTS.budgetMs)
  const maxRequests = positiveInteger('maxRequests', options.maxRequests, EXECUTE_DEFAULTS.maxRequests)
  const allowPrivateNetwork = options.allowPrivateNetwork === true
  const deadline = performance.now() + budgetMs
  for (const handler of plan.handlers) {
    const batches = [handler.status === 'ran' ? handler.actions : [], ...handler.scheduled.filter((s) => s.status === 'ran').map((s) => s.actions)]
    for (const actions of batches) {
      for (const action of actions) {
        if (action.error !== undefined) {
          notRun.push({ pattern: handler.pattern, action: action.index, reason: action.error })
          continue
        }
        if (action.uses === 'http_request') {
          const remaining = Math.floor(deadline - performance.now())
          if (requests.length >= maxRequests || remaining <= 0) {
            const reason = requests.length >= maxRequests ? `the plan already sent ${maxRequests} requests (maxRequests)` : `the plan's ${budgetMs} ms for requests is used up (budgetMs)`
            notRun.push({ pattern: handler.pattern, action: action.index, reason })
            continue
          }
          const started = performance.now()
          const outcome = await sendRequest(action, { timeoutMs: Math.min(timeoutMs, remaining), allowPrivateNetwork, resolveHost: options.resolveHost })
          requests.push({ pattern: handler.pattern, action: action.index, ...(action.name === undefined ? {} : { name: action.name }), method: action.method, url: action.url, ...outcome, latencyMs: Math.round(performance.now() - started) })
        } else if (action.uses === 'apply_labels') {
          labels = applyList(labels, action)
        } else {
          assignees = applyList(assignees, action)
        }
      }
    }
  }
  return { conversation: { labels, assignees }, requests, notRun }
}
