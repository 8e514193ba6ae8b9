import { readFileSync } from 'node:fs'
import { runCli } from '../src/cli/index.js'
import type { Io } from '../src/cli/io.js'

export const FIXTURES = new URL('./fixtures/', import.meta.url)
export const fixturePath = (name: string): string => new URL(name, FIXTURES).pathname
export const readFixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'))

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in-process with captured streams, as a user's shell would see it. */
export async function cli(argv: string[], options: { stdin?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? {},
    cwd: new URL('..', import.meta.url).pathname,
    readStdin: async () => Buffer.from(options.stdin ?? ''),
  }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}
