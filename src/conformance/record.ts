import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CkitError } from '../errors.js'
import { resolvePointer, type CustomerConnectionResponse } from '../schema/index.js'
import type { ProxyVerdict } from './proxy.js'

export interface RecordOptions {
  /** The mock data folder to write (created as needed). */
  readonly dir: string
  /** JSON pointers inside a customer to replace with "[redacted]" before writing. */
  readonly redact?: readonly string[]
  /** Overwrite a customer already recorded. */
  readonly force?: boolean
  /** Never written: a customer whose data contains it is not saved. */
  readonly secret?: string
}

export type RecordOutcome = { saved: string } | { skipped: string; reason: string }

const SIGNATURE_VALUE = /sha256=[0-9a-fA-F]{64}/

/** Sets the value at a pointer (which must exist) to "[redacted]". */
function redactAt(document: unknown, pointer: string): void {
  if (pointer === '' || resolvePointer(document, pointer) === undefined) return
  const tokens = pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
  const last = tokens.pop()!
  const parent = resolvePointer(document, tokens.length === 0 ? '' : `/${tokens.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`) as Record<string, unknown>
  parent[last] = '[redacted]'
}

/**
 * Saves real customer answers as mock fixtures (the `mocks/` layout): `customers/<email>.json`,
 * plus, once, the sections of the first answer and a permissive customer.schema.json, so
 * `ckit mock --data <dir>` replays production-shaped data.
 */
export function createRecorder(options: RecordOptions) {
  for (const pointer of options.redact ?? []) {
    if (!pointer.startsWith('/')) throw new CkitError('CKIT_CLI_USAGE', `--redact takes JSON pointers into a customer, like /email; instead got ${JSON.stringify(pointer)}`)
  }
  mkdirSync(join(options.dir, 'customers'), { recursive: true })
  return (verdict: ProxyVerdict, response: CustomerConnectionResponse | undefined): RecordOutcome => {
    if (!verdict.ok || !response || !verdict.email) return { skipped: verdict.email ?? '(no e-mail)', reason: verdict.ok ? 'not a customer answer' : 'the answer was refused' }
    const email = verdict.email.toLowerCase()
    if (!/^[^/\\]+@[^/\\]+$/.test(email)) return { skipped: email, reason: 'not a usable file name' }
    const file = join(options.dir, 'customers', `${email}.json`)
    if (existsSync(file) && !options.force) return { skipped: email, reason: `${file} exists (--force overwrites)` }
    const customer = structuredClone(response.customer) as Record<string, unknown>
    for (const pointer of options.redact ?? []) redactAt(customer, pointer)
    const text = `${JSON.stringify(customer, null, 2)}\n`
    if (SIGNATURE_VALUE.test(text) || (options.secret && text.includes(options.secret))) return { skipped: email, reason: 'the customer data contains a signature or the secret: not written' }
    writeFileSync(file, text)
    const sections = join(options.dir, 'sections.json')
    if (!existsSync(sections)) writeFileSync(sections, `${JSON.stringify(response.sections, null, 2)}\n`)
    const schema = join(options.dir, 'customer.schema.json')
    if (!existsSync(schema)) writeFileSync(schema, `${JSON.stringify({ description: 'Recorded customers: any JSON object (ckit record).', type: 'object' }, null, 2)}\n`)
    return { saved: file }
  }
}
