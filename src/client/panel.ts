import { escapeHtml, sidebarHtml, type RenderResult } from '../render/index.js'
import type { CustomerConnectionResponse, RequestContext } from '../schema/index.js'
import { failureCardHtml, type Failure } from './failure.js'
import { requestCustomerData, type ClientOptions, type Connection, type Timing } from './request.js'

export type PanelReason = 'conversation_viewed' | 'refresh' | 'automation'

/** What the sidebar shows. There is no state that holds data from an earlier request. */
export type PanelState =
  | { readonly status: 'closed' }
  | { readonly status: 'loading'; readonly reason: PanelReason }
  | ({ readonly status: 'shown'; readonly reason: PanelReason; readonly response: CustomerConnectionResponse; readonly rendered: RenderResult } & Timing)
  | ({ readonly status: 'error'; readonly reason: PanelReason; readonly error: Failure } & Timing)
  /** The endpoint has no record for the requester: its own outcome, neither an error card nor earlier data. */
  | ({ readonly status: 'not_found'; readonly reason: PanelReason; readonly message: string } & Timing)

export interface PanelOptions extends ClientOptions {
  readonly inbox: { slug: string }
  readonly conversation: { id: string; title?: string; html_url?: string }
  readonly requester: { email: string; name?: string }
  readonly now?: () => Date
}

/**
 * The customer sidebar of one conversation, as the protocol requires: data lives in this object
 * only (never on disk), every open/refresh/automation run makes a fresh request, and a failure
 * replaces whatever was shown with the error — never with earlier data.
 */
export class CustomerPanel {
  #state: PanelState = { status: 'closed' }
  #generation = 0
  readonly #connection: Connection
  readonly #options: PanelOptions

  constructor(connection: Connection, options: PanelOptions) {
    this.#connection = connection
    this.#options = options
  }

  get state(): PanelState {
    return this.#state
  }

  /** The conversation was opened. */
  open(): Promise<PanelState> {
    return this.#load('conversation_viewed')
  }

  /** The agent clicked refresh. */
  refresh(): Promise<PanelState> {
    return this.#load('refresh')
  }

  /** A switch is running and needs the customer's data. */
  automationRun(): Promise<PanelState> {
    return this.#load('automation')
  }

  /** The conversation was closed: forget everything. */
  close(): void {
    this.#generation++
    this.#state = { status: 'closed' }
  }

  /** The sidebar as HTML: sections, or the error card. */
  html(): string {
    const state = this.#state
    switch (state.status) {
      case 'shown':
        return sidebarHtml(state.rendered)
      case 'error':
        return failureCardHtml(state.error)
      case 'not_found':
        return `<aside class="ckit-sidebar" aria-label="Customer data"><p class="ckit-empty">${escapeHtml(state.message.replace(/^./, (c) => c.toUpperCase()))}.</p></aside>`
      case 'loading':
        return '<aside class="ckit-sidebar" aria-label="Customer data" aria-busy="true"><p class="ckit-empty">Loading customer data…</p></aside>'
      case 'closed':
        return '<aside class="ckit-sidebar" aria-label="Customer data"></aside>'
    }
  }

  async #load(reason: PanelReason): Promise<PanelState> {
    // Whatever was shown stops being shown the moment a new request starts.
    const generation = ++this.#generation
    this.#state = { status: 'loading', reason }
    const { inbox, conversation, requester, now, ...clientOptions } = this.#options
    const context: RequestContext = { reason, requested_at: (now?.() ?? new Date()).toISOString(), inbox, conversation, requester }
    const result = await requestCustomerData(this.#connection, context, clientOptions)
    // A slower, earlier request must not overwrite a newer one (or a close).
    if (generation !== this.#generation) return this.#state
    const timing = { answeredInMs: result.answeredInMs, latencyMs: result.latencyMs }
    this.#state = result.ok
      ? { status: 'shown', reason, response: result.response, rendered: result.rendered, ...timing }
      : result.error.kind === 'not_found'
        ? { status: 'not_found', reason, message: result.error.message, ...timing }
        : { status: 'error', reason, error: result.error, ...timing }
    return this.#state
  }
}
