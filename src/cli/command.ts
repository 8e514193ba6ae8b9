import type { Command } from 'commander'
import type { ExitMeanings } from './exit-codes.js'
import type { Io } from './io.js'

/**
 * One CLI command: its own file under commands/, registered in commands/index.ts. `O` is what its
 * define() declares, as commander hands it over once every option parser has run: flags absent
 * from the command line are undefined, switches are `true`, valued options carry their parser's type.
 */
export interface CommandSpec<O extends object = object> {
  readonly name: string
  readonly summary: string
  /** One real example, shown at the end of `--help`. */
  readonly examples: readonly string[]
  /** What its exit codes mean: `--help` lists them with their numbers from EXIT. */
  readonly exitCodes?: ExitMeanings
  /** Declares arguments and options on the commander command. */
  define(command: Command): Command
  /** Returns the exit code; never calls process.exit. */
  run(args: readonly string[], options: O, io: Io): Promise<number>
}

/** A command that only groups others (`ckit webhooks send`). */
export interface CommandGroup {
  readonly name: string
  readonly summary: string
  readonly examples: readonly string[]
  readonly subcommands: readonly CommandSpec[]
}

export const isGroup = (spec: CommandSpec | CommandGroup): spec is CommandGroup => 'subcommands' in spec
