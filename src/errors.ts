/**
 * Errors thrown for misuse of the toolkit (bad options, wrong arguments). Anything a remote
 * endpoint or an input document can cause is *returned* as a typed result instead.
 * A released code never changes; match on `err.code`, never on `message`. docs/errors.md lists them.
 *
 * Each code has a class, which the CLI maps to its exit code:
 * - `usage`: the caller asked for something impossible (a bad option, a missing secret) — exit 2;
 * - `data`: a document the caller handed over is invalid (a switch, a duration) — exit 1;
 * - `remote`: something outside failed — exit 3;
 * - `internal`: the installation is broken or connection-kit has a bug — exit 70.
 */
export type ErrorClass = 'usage' | 'data' | 'remote' | 'internal'

const code = (errorClass: ErrorClass, description: string) => Object.freeze({ class: errorClass, description })

export const CKIT_CODES = Object.freeze({
  CKIT_SCHEMA_UNKNOWN_KIND: code('usage', 'A schema kind name that connection-kit does not know.'),
  CKIT_SCHEMA_LOAD_FAILED: code('internal', 'A file in schemas/ is missing, unreadable or does not compile (a broken installation).'),
  CKIT_SIG_MISSING_SECRET: code('usage', 'A signature check was asked for without a signing secret (an unset environment variable, an empty string); verification is never skipped silently.'),
  CKIT_SIG_INVALID_OPTION: code('usage', 'A signing secret, message, tolerance or event name passed to a signature helper is empty or of the wrong type.'),
  CKIT_SIG_INVALID_CONTEXT: code('usage', 'A request context given to a request builder is not a valid context (the message lists the pointers).'),
  CKIT_SIG_INVALID_URL: code('usage', 'A connection URL given to a request builder is not an absolute http: or https: URL.'),
  CKIT_RENDER_INVALID_OPTION: code('usage', 'A limit given to createRenderer or TemplateEngine is not a whole number of at least 1.'),
  CKIT_CLIENT_INVALID_OPTION: code('usage', 'An option of the client (timeoutMs, maxResponseBytes, headers, strict, timer) is out of range or of the wrong type.'),
  CKIT_MOCK_INVALID_OPTION: code('usage', 'An option of the mock endpoint (port, host, base path, seed, secret…) is out of range or of the wrong type.'),
  CKIT_MOCK_INVALID_DATA: code('usage', 'Files in the mock data folder (customers, customer.schema.json, sections.json, scenarios.yaml) are unreadable or invalid; one error reports every problem of every file: the message names each file and pointer, and `err.errors` lists them as `{ file, pointer, message }`.'),
  CKIT_MOCK_TOO_MANY_CUSTOMERS: code('usage', 'Setting a runtime customer would take the mock past runtimeCustomers or runtimeCustomerBytes; the admin API answers 507 too_many_customers.'),
  CKIT_MOCK_UNKNOWN_SCENARIO: code('usage', 'A scenario name or scenario rule is not in the catalogue (never silently treated as ok).'),
  CKIT_MOCK_INVALID_SESSION: code('usage', 'A session id is not 1 to 64 letters, digits, _ or -; the admin API and the connection route answer 400 invalid_session.'),
  CKIT_MOCK_TOO_MANY_SESSIONS: code('usage', 'A new session was asked for while all maxSessions sessions have requests in flight; the mock answers 503 too_many_sessions.'),
  CKIT_MOCK_WAIT_TIMEOUT: code('remote', 'mock.journal.waitFor gave up: the requests it waited for did not reach the mock within timeoutMs.'),
  CKIT_AUTOMATION_INVALID_SWITCH: code('data', 'A switch given to the evaluator does not validate against schemas/switch.schema.json; the message lists the pointers.'),
  CKIT_AUTOMATION_UNKNOWN_EVENT: code('usage', 'An event name given to the evaluator is not in the event catalogue.'),
  CKIT_AUTOMATION_BAD_DURATION: code('data', 'A scheduled `after` is not a whole number and a unit (seconds, minutes, hours, days, weeks), or is longer than 90 days.'),
  CKIT_AUTOMATION_INVALID_OPTION: code('usage', 'An option of executePlan or the Scheduler (timeoutMs, budgetMs, maxRequests, clock…) is out of range or of the wrong type.'),
  CKIT_FAKE_UNKNOWN_EVENT: code('usage', 'fakePayload was asked for an event that is not in the event catalogue.'),
  CKIT_FAKE_INVALID_OPTION: code('usage', 'A seed or attempt count given to fakePayload is not a whole number in range.'),
  CKIT_FAKE_GENERATION_FAILED: code('internal', 'The payload generator could not produce a payload valid against the contract (a broken installation or schema).'),
  CKIT_WEBHOOKS_INVALID_OPTION: code('usage', 'An option of the webhook sender or receiver (scheme, attempts, backoff, timeout, concurrency, body limit…) is out of range or of the wrong type, or a Standard Webhooks secret is not base64.'),
  CKIT_DESK_INVALID_OPTION: code('usage', 'An option of the desk tools (the recorder\'s redact pointers) is out of range or of the wrong type.'),
  CKIT_PACT_INVALID_OPTION: code('usage', 'An option of pact verification or the contract proxy (provider URL, contract files, broker, port) is missing, unreadable or of the wrong shape, or a pact file is not for a customer endpoint (another provider, message interactions).'),
  CKIT_PACT_ENGINE_MISSING: code('usage', 'ckit pact verify needs the optional peer dependency @pact-foundation/pact, which is not installed.'),
  CKIT_PACT_PROVIDER_UNREACHABLE: code('remote', 'The provider given to pact verification does not answer at all (refused, DNS, timeout).'),
  CKIT_CLI_USAGE: code('usage', 'A CLI command was called with wrong arguments or an input it cannot read (exit code 2).'),
})

export type CkitCode = keyof typeof CKIT_CODES

/** One problem of several reported at once: where (a file, a JSON pointer) and what. */
export interface CkitProblem {
  readonly file?: string
  readonly pointer: string
  readonly message: string
}

export interface CkitErrorOptions extends ErrorOptions {
  /**
   * The option at fault, by its name in the API (`redact`, `scenario`); the message starts with
   * it. A library knows no command-line flags: the CLI puts the flag in its place.
   */
  readonly option?: string
  /** Every problem, when one error reports several. */
  readonly errors?: readonly CkitProblem[]
}

export class CkitError<C extends CkitCode = CkitCode> extends Error {
  override readonly name = 'CkitError'
  /** Every problem, when one error reports several (the message lists them too). */
  readonly errors: readonly CkitProblem[] | undefined
  readonly option: string | undefined
  constructor(
    readonly code: C,
    message: string,
    options?: CkitErrorOptions,
  ) {
    super(message, options)
    this.errors = options?.errors
    this.option = options?.option
  }

  /** usage, data, remote or internal: what kind of problem this is (the CLI's exit code follows it). */
  get errorClass(): ErrorClass {
    return CKIT_CODES[this.code]?.class ?? 'internal'
  }
}

export function isCkitError(value: unknown): value is CkitError {
  return value instanceof CkitError
}
