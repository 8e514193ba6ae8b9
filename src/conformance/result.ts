/**
 * What every check suite reports (the endpoint checks, the receiver probe): one named verdict per
 * check, so one renderer writes text, `--json` and JUnit for all of them
 * (docs/conformance-report.schema.json).
 */
export interface CheckResult<Name extends string = string> {
  readonly name: Name
  /** ✔ pass, ✖ fail, ⚠ warn (answers came back but did not settle it), - skip (the check cannot apply here). */
  readonly status: CheckStatus
  /** What was seen, with numbers and statuses; for skip, why the check does not apply. */
  readonly reason: string
  /** One line saying what to change, on ✖ and ⚠. */
  readonly fix?: string
  /** The slowest request the check timed, where it timed one. */
  readonly latencyMs?: number
}

export const CHECK_STATUSES = ['pass', 'fail', 'warn', 'skip'] as const
export type CheckStatus = (typeof CHECK_STATUSES)[number]

/** A suite passes when no check failed: warnings and skipped checks do not fail it. */
export const allPassed = (checks: readonly CheckResult[]): boolean => checks.every((c) => c.status !== 'fail')
