import type { ErrorClass } from '../errors.js'

/** Exit codes shared by every command (docs/cli.md). A command may document a finer table. */
export const EXIT = Object.freeze({
  /** Success. */
  ok: 0,
  /** Ran fine and found problems: invalid document, bad signature, contract mismatch. */
  problems: 1,
  /** Usage error (unknown flag, missing argument) or an input that cannot be read. */
  usage: 2,
  /** The remote side failed (timeout, network, non-2xx). */
  remote: 3,
  /** A bug in connection-kit: the code and stack are printed to stderr. */
  internal: 70,
})
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]
export type ExitName = keyof typeof EXIT

/** What each exit code means for one command, in its own words. */
export type ExitMeanings = Readonly<Partial<Record<ExitName, string>>>

/** The `--help` line that lists a command's exit codes, numbered from EXIT so they cannot drift. */
export function exitCodesHelp(meanings: ExitMeanings): string {
  const lines = (Object.keys(EXIT) as ExitName[]).filter((name) => meanings[name] !== undefined).map((name) => `${EXIT[name]} ${meanings[name]!}`)
  return `\nExit codes: ${lines.join(', ')}.`
}

/** How a thrown CkitError's class (src/errors.ts) becomes an exit code. */
export const EXIT_FOR_CLASS = Object.freeze({
  usage: EXIT.usage,
  data: EXIT.problems,
  remote: EXIT.remote,
  internal: EXIT.internal,
} satisfies Record<ErrorClass, ExitCode>)
