/**
 * Errors thrown for misuse of the toolkit (bad options, wrong arguments). Anything a remote
 * endpoint or an input document can cause is *returned* as a typed result instead.
 * A released code never changes; match on `err.code`, never on `message`. docs/errors.md lists them.
 */
export const CKIT_CODES = Object.freeze({
  CKIT_SCHEMA_UNKNOWN_KIND: 'A schema kind name that connection-kit does not know.',
  CKIT_SCHEMA_LOAD_FAILED: 'A file in schemas/ is missing, unreadable or does not compile (a broken installation).',
  CKIT_SIG_MISSING_SECRET: 'A signature check was asked for without a signing secret (an unset environment variable, an empty string); verification is never skipped silently.',
  CKIT_SIG_INVALID_OPTION: 'A signing secret, message or event name passed to a signature helper is empty or of the wrong type.',
  CKIT_SIG_INVALID_CONTEXT: 'A request context given to a request builder is not a valid context (the message lists the pointers).',
  CKIT_SIG_INVALID_URL: 'A connection URL given to a request builder is not an absolute http: or https: URL.',
  CKIT_RENDER_INVALID_OPTION: 'A limit given to createRenderer or TemplateEngine is not a whole number of at least 1.',
  CKIT_MOCK_INVALID_OPTION: 'An option of the mock endpoint (port, host, base path, seed, secret…) is out of range or of the wrong type.',
  CKIT_MOCK_INVALID_DATA: 'A file in the mock data folder (customers, customer.schema.json, sections.json, scenarios.yaml) is unreadable or invalid; the message names the file and pointer.',
  CKIT_MOCK_UNKNOWN_SCENARIO: 'A scenario name or scenario rule is not in the catalogue (never silently treated as ok).',
  CKIT_AUTOMATION_INVALID_SWITCH: 'A switch given to the evaluator does not validate against schemas/switch.schema.json; the message lists the pointers.',
  CKIT_AUTOMATION_UNKNOWN_EVENT: 'An event name given to the evaluator is not in the event catalogue.',
  CKIT_AUTOMATION_BAD_DURATION: 'A scheduled `after` is not a whole number and a unit (seconds, minutes, hours, days, weeks), or is longer than 90 days.',
  CKIT_AUTOMATION_INVALID_OPTION: 'An option of executePlan or the Scheduler (timeoutMs, budgetMs, maxRequests, clock…) is out of range or of the wrong type.',
  CKIT_CLI_USAGE: 'A CLI command was called with wrong arguments or an input it cannot read (exit code 2).',
} as const)

export type CkitCode = keyof typeof CKIT_CODES

export class CkitError<C extends CkitCode = CkitCode> extends Error {
  override readonly name = 'CkitError'
  constructor(
    readonly code: C,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export function isCkitError(value: unknown): value is CkitError {
  return value instanceof CkitError
}
