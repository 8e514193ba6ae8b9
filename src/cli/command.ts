import type { Command } from 'commander'
import type { ExitMeanings } from './exit-codes.js'
import type { Io } from './io.js'

/** One CLI command: its own file under commands/, registered in commands/index.ts. */
export interface CommandSpec {
  readonly name: string
  readonly summary: string
  /** One real example, shown at the end of `--help`. */
  readonly examples: readonly string[]
  /** What its exit codes mean: `--help` lists them with their numbers from EXIT. */
  readonly exitCodes?: ExitMeanings
  /** Declares arguments and options on the commander command. */
  define(command: Command): Command
  /** Returns the exit code; never calls process.exit. */
  run(args: readonly string[], options: Record<string, unknown>, io: Io): Promise<number>
}

/** A command that only groups others (`ckit webhooks send`). */
export interface CommandGroup {
  readonly name: string
  readonly summary: string
  readonly examples: readonly string[]
  readonly subcommands: readonly CommandSpec[]
}

export const isGroup = (spec: CommandSpec | CommandGroup): spec is CommandGroup => 'subcommands' in spec
