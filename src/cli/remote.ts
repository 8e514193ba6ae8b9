import type { FailureKind } from '../client/index.js'

/** Exit codes of commands that talk to an endpoint (docs/cli.md): one per failure kind. */
export const FAILURE_EXIT: Readonly<Record<FailureKind, number>> = Object.freeze({
  timeout: 3,
  network: 4,
  http_status: 5,
  too_large: 6,
  invalid_json: 7,
  schema_invalid: 8,
  template_error: 9,
  bad_challenge: 10,
  not_found: 11,
})

export const FAILURE_EXIT_HELP = `\nExit codes: 0 ok, 2 usage error, and one per failure kind: ${Object.entries(FAILURE_EXIT)
  .map(([kind, code]) => `${code} ${kind}`)
  .join(', ')}.`
