import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { CkitError, isCkitError } from '../errors.js'
import { terminalSafe } from '../render/text.js'
import { isGroup, type CommandGroup, type CommandSpec } from './command.js'
import { COMMANDS } from './commands/index.js'
import { EXIT, EXIT_FOR_CLASS, exitCodesHelp } from './exit-codes.js'
import { processIo, type Io } from './io.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/**
 * A library names the option at fault by its API name (CkitError.option, `redact`); here it
 * becomes the flag that set it (`--redact`), so the one line a user reads speaks in their terms.
 */
function inFlagTerms(error: unknown, command: Command): unknown {
  if (!isCkitError(error) || error.option === undefined || error.errorClass !== 'usage' || !error.message.startsWith(error.option)) return error
  const flag = command.options.find((o) => o.attributeName() === error.option)?.long
  return flag === undefined ? error : new CkitError('CKIT_CLI_USAGE', flag + error.message.slice(error.option.length), { cause: error })
}

/** Builds the program; every command's output goes through `io`. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('ckit')
    .description('connection-kit: contract-first toolkit for help-desk customer connections and webhooks (alias: connection-kit)')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
  const register = (parent: Command, spec: CommandSpec | CommandGroup): void => {
    const command = parent
      .command(spec.name)
      .description(spec.summary)
      .addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`)
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .exitOverride()
    if (isGroup(spec)) {
      for (const sub of spec.subcommands) register(command, sub)
      return
    }
    spec.define(command)
    if (spec.exitCodes) command.addHelpText('after', exitCodesHelp(spec.exitCodes))
    command.action(async (...received: unknown[]) => {
      // commander passes the declared arguments, then the options object, then the command.
      const options = received[received.length - 2] as object
      const args = received.slice(0, -2).map((a) => (a === undefined ? undefined : String(a))) as string[]
      try {
        setExit(await spec.run(args, options, io))
      } catch (error) {
        throw inFlagTerms(error, command)
      }
    })
  }
  for (const spec of COMMANDS) register(program, spec)
  return program
}

/** Runs the CLI and resolves to its exit code; never throws, never calls process.exit. */
export async function runCli(argv: readonly string[], rawIo: Io = processIo()): Promise<number> {
  // stderr carries messages, warnings and errors, which quote responses and files: nothing on it
  // may drive the terminal. stdout is data; commands make their text output safe themselves.
  const io: Io = {
    ...rawIo,
    stderr: { write: (s: string) => rawIo.stderr.write(terminalSafe(s)), isTTY: rawIo.stderr.isTTY === true },
    // The one place the CLI writes control characters of its own: carriage return and erase-line.
    progress: (line) => {
      if (rawIo.stderr.isTTY !== true) return
      rawIo.stderr.write(line === null ? '\r\u001b[K' : `\r${terminalSafe(line)}\u001b[K`)
    },
  }
  let exitCode: number = EXIT.ok
  const program = buildProgram(io, (code) => {
    exitCode = code
  })
  if (argv.length === 0) {
    program.outputHelp()
    return EXIT.usage
  }
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; every other commander error is usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    if (isCkitError(error) && error.errorClass !== 'internal') {
      // One line that says what is wrong; the class decides the exit code.
      io.stderr.write(`ckit: ${error.message}\n`)
      return EXIT_FOR_CLASS[error.errorClass]
    }
    const err = error as Error & { code?: string }
    io.stderr.write(`ckit: internal error${err.code ? ` (${err.code})` : ''}: ${err.message}\n${err.stack ?? ''}\n`)
    return EXIT.internal
  }
}
