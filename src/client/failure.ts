import { errorCardHtml } from '../render/index.js'

/** 🔧 docs/protocol.md: the failure kinds a help desk tells apart. Each shows as an error, never as earlier data. */
export const FAILURE_KINDS = ['timeout', 'network', 'http_status', 'too_large', 'invalid_json', 'schema_invalid', 'template_error', 'bad_challenge', 'not_found'] as const
export type FailureKind = (typeof FAILURE_KINDS)[number]

export interface Failure {
  readonly kind: FailureKind
  /** A sentence an agent or a log reader understands. */
  readonly message: string
  /** HTTP status, for `http_status`. */
  readonly status?: number
  /**
   * For `http_status`: the `error` the endpoint gave in a JSON body (`mismatch`, `stale`, …), so a
   * wrong secret and a skewed clock read differently. The endpoint's own words: shorten and escape.
   */
  readonly endpointError?: string
  /** Where the response broke the contract or failed to render (`schema_invalid`, `template_error`). */
  readonly pointers?: readonly string[]
}

/** What an agent reads in the sidebar's error card for each kind. */
export function describeFailure(failure: Failure): string {
  switch (failure.kind) {
    case 'timeout':
      return 'The customer endpoint did not answer in time.'
    case 'network':
      return 'The customer endpoint could not be reached.'
    case 'http_status':
      return `The customer endpoint answered with an error${failure.status === undefined ? '' : ` (HTTP ${failure.status})`}.`
    case 'too_large':
      return 'The customer endpoint sent more data than the help desk accepts.'
    case 'invalid_json':
      return 'The customer endpoint did not send valid JSON.'
    case 'schema_invalid':
      return 'The customer endpoint sent data in the wrong format.'
    case 'template_error':
      return 'The customer data could not be displayed.'
    case 'bad_challenge':
      return 'The customer endpoint did not echo the challenge.'
    case 'not_found':
      return 'The customer endpoint has no record of this customer.'
    default: {
      const unreachable: never = failure.kind
      return unreachable
    }
  }
}

/** The sidebar's error card for a failure: what the agent reads, then the technical detail. */
export function failureCardHtml(failure: Failure): string {
  // One sentence: what the agent needs to know, then the detail in brackets.
  return errorCardHtml({ kind: failure.kind, message: `${describeFailure(failure).replace(/\.$/, '')} (${failure.message.replace(/\.$/, '')}).` })
}
