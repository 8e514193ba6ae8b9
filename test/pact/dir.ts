import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Where consumer tests write pact files: a fresh folder by default (the drift test compares it
 * with contracts/), or contracts/ itself when regenerating on purpose (`npm run contracts`).
 */
let dir: string | undefined
export function pactDir(): string {
  dir ??= process.env['CKIT_PACT_DIR'] ?? mkdtempSync(join(tmpdir(), 'ckit-pacts-'))
  return dir
}

/**
 * After a consumer file's interactions ran: the pact file it wrote must equal the committed one in
 * contracts/, byte for byte; otherwise code and contract have drifted.
 */
export function expectNoDrift(file: string): void {
  if (process.env['CKIT_PACT_DIR']) return // regenerating on purpose
  const written = readFileSync(join(pactDir(), file), 'utf8')
  const committedPath = new URL(`../../contracts/${file}`, import.meta.url)
  const committed = existsSync(committedPath) ? readFileSync(committedPath, 'utf8') : ''
  if (written !== committed) throw new Error(`contracts/${file} does not match what the consumer tests produce: review the change, then run \`npm run contracts\` to regenerate it`)
}
