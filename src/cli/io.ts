import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, basename, join, resolve } from 'node:path'
import { CkitError } from '../errors.js'
import { readErrorReason } from '../files.js'
import { parseYamlText } from '../yaml.js'

/** Everything a command touches outside itself, injected so tests capture both streams. */
export interface Io {
  readonly stdout: { write(chunk: string): unknown; isTTY?: boolean }
  readonly stderr: { write(chunk: string): unknown; isTTY?: boolean }
  readStdin(): Promise<Buffer>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Resolves with the signal name when the process is asked to stop (SIGINT, SIGTERM), or when its parent process exits. */
  waitForShutdown(): Promise<string>
  /** A progress line on a terminal, rewritten in place; `null` ends it. Nothing when stderr is not a TTY. */
  progress?(line: string | null): void
}

/** How often a serving command checks that the process that started it is still there. */
const PARENT_POLL_MS = 500

export const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  waitForShutdown: () =>
    new Promise((resolveSignal) => {
      const parent = process.ppid
      // `npx ckit mock & kill $!` kills npm, not us: a server whose parent is gone is orphaned (its
      // ppid changes to the reaper's), and would otherwise outlive the CI job that started it.
      const orphaned = setInterval(() => {
        if (process.ppid !== parent) stop('parent process exited')
      }, PARENT_POLL_MS).unref()
      const stop = (signal: string) => {
        clearInterval(orphaned)
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolveSignal(signal)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    }),
  async readStdin() {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  },
})

/** Reads a file argument, `-` meaning standard input; unreadable input is a usage error (exit 2). */
export async function readInput(io: Io, file: string): Promise<{ bytes: Buffer; name: string }> {
  if (file === '-') return { bytes: await io.readStdin(), name: '<stdin>' }
  try {
    return { bytes: await readFile(resolve(io.cwd, file)), name: file }
  } catch (cause) {
    throw new CkitError('CKIT_CLI_USAGE', `cannot read ${file}: ${readErrorReason(cause)}`, { cause })
  }
}

/** A JSON or YAML file given to an option (--config); unreadable or not parseable is a usage error (exit 2). */
export async function readYamlOption(io: Io, option: string, file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8')
  } catch {
    throw new CkitError('CKIT_CLI_USAGE', `cannot read ${option} ${file}`)
  }
  const parsed = parseYamlText(text)
  if (!parsed.ok) throw new CkitError('CKIT_CLI_USAGE', `${option} ${file} is neither JSON nor YAML: ${parsed.reason}${parsed.where}`)
  return parsed.value
}

export const printJson = (io: Io, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Writes a file whole or not at all: a temporary file beside it, then an atomic rename. */
export async function writeOutput(io: Io, file: string, content: string): Promise<void> {
  const target = resolve(io.cwd, file)
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, content)
    await rename(temporary, target)
  } catch (cause) {
    await rm(temporary, { force: true })
    throw new CkitError('CKIT_CLI_USAGE', `cannot write ${file}: ${(cause as Error).message}`, { cause })
  }
}

/** Styling only on a real terminal, and never with NO_COLOR set. */
export const isStyled = (io: Io): boolean => io.stdout.isTTY === true && !io.env['NO_COLOR']

/** For commands that serve until stopped: wait for SIGINT/SIGTERM, say so, close, exit 0. */
export async function serveUntilShutdown(io: Io, close: () => Promise<unknown>): Promise<0> {
  const signal = await io.waitForShutdown()
  io.stderr.write(`${signal}: shutting down\n`)
  await close()
  return 0
}
