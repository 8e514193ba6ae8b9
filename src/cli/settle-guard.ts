import { EXIT } from './exit-codes.js'

/**
 * Awaits a command's exit code, and stands guard while it runs: when the event loop empties with
 * the command still pending, nothing can ever settle it (a request a library dropped, a promise no
 * one resolves). Node would then exit 13 with no output at all; this reports it as what it is, an
 * internal error (exit 70), on stderr.
 */
export async function settleGuarded(command: Promise<number>, stderr: { write(chunk: string): unknown } = process.stderr): Promise<number> {
  const onEmptyLoop = () => {
    stderr.write('ckit: internal error: the command stopped with work still pending (an operation that never settled); no result was produced. Please report this as a bug.\n')
    process.exit(EXIT.internal)
  }
  process.once('beforeExit', onEmptyLoop)
  try {
    return await command
  } finally {
    process.off('beforeExit', onEmptyLoop)
  }
}
