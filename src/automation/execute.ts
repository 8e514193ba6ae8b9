import type { Plan, PlannedAction } from './plan.js'
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

async function send(action: PlannedAction & { uses: 'http_request' }, timeoutMs: number): Promise<{ status: number | null; ok: boolean; error?: string }> {
  let url: URL
  try {
    url = new URL(action.url)
  } catch {
    return { status: null, ok: false, error: `${JSON.stringify(action.url)} is not an absolute URL` }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { status: null, ok: false, error: `scheme ${url.protocol} is not allowed` }
  const hasBody = action.method !== 'GET'
  try {
    const response = await fetch(url, {
      method: action.method,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...action.headers },
      ...(hasBody ? { body: typeof action.body === 'string' ? action.body : JSON.stringify(action.body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    await response.body?.cancel().catch(() => {})
    return { status: response.status, ok: response.ok, ...(response.ok ? {} : { error: `HTTP ${response.status}` }) }
  } catch (error) {
    const err = error as Error & { cause?: { code?: string } }
    return { status: null, ok: false, error: err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message) }
  }
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
  const timeoutMs = options.timeoutMs ?? 10_000
  for (const handler of plan.handlers) {
    const batches = [handler.status === 'ran' ? handler.actions : [], ...handler.scheduled.filter((s) => s.status === 'ran').map((s) => s.actions)]
    for (const actions of batches) {
      for (const action of actions) {
        if (action.error !== undefined) {
          notRun.push({ pattern: handler.pattern, action: action.index, reason: action.error })
          continue
        }
        if (action.uses === 'http_request') {
          const started = performance.now()
          const outcome = await send(action, timeoutMs)
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
