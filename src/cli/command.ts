import type { Command } from 'commander'
import type { Io } from './io.js'

/** One CLI command: its own file under commands/, registered in commands/index.ts. */
export interface CommandSpec {
  readonly name: string
  readonly summary: string
  /** One real example, shown at the end of `--help`. */
  readonly examples: readonly string[]
  /** Declares arguments and options on the commander command. */
  define(command: Command): Command
  /** Returns the exit code; never calls process.exit. */
  run(args: readonly string[], options: Record<string, unknown>, io: Io): Promise<number>
}
