import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { CkitError } from '../errors.js'
import { mockDataFiles, writeMockDataFiles } from '../mock/index.js'
import { resolvePointer, type CustomerConnectionResponse } from '../schema/index.js'
import type { ForwardedRequest, ProxyVerdict } from './proxy.js'

export interface RecordOptions {
  /** The mock data folder to write (created as needed). */
  readonly dir: string
  /**
   * JSON pointers to replace with "[redacted]" before writing. Pointers from the response root
   * (`/customer/stripe_id`, `/sections/0/href`) are the documented style; a pointer whose first
   * token is neither `customer` nor `sections` is read inside the customer (`/email`).
   */
  readonly redact?: readonly string[]
  /** Overwrite a customer already recorded. */
  readonly force?: boolean
  /** Never written: an answer whose files would contain it is not saved. */
  readonly secret?: string
}

export type RecordOutcome = ({ saved: string } | { skipped: string; reason: string }) & {
  /** --redact pointers that matched nothing in this answer: their values were not there to hide. */
  readonly unmatched?: readonly string[]
}

/** A signature header value: what a captured request would let a reader replay. */
const SIGNATURE_VALUE = /sha256=[0-9a-fA-F]{64}/

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~')
const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1')

/** Sets the value at a pointer to "[redacted]"; false when the pointer names nothing. */
function redactAt(document: unknown, pointer: string): boolean {
  if (resolvePointer(document, pointer) === undefined) return false
  const tokens = pointer.split('/').slice(1).map(unescape)
  const last = tokens.pop()!
  const parent = resolvePointer(document, tokens.length === 0 ? '' : `/${tokens.map(escape).join('/')}`) as Record<string, unknown>
  parent[last] = '[redacted]'
  return true
}

/** A pointer as applied to `{ customer, sections }`: customer-relative ones get `/customer` in front. */
function fromRoot(pointer: string): string {
  const first = unescape(pointer.split('/')[1] ?? '')
  return first === 'customer' || first === 'sections' ? pointer : `/customer${pointer}`
}

/**
 * Saves real customer answers as mock fixtures (the `mocks/` layout): `customers/<email>.json`,
 * plus, once, the sections of the first answer and a permissive customer.schema.json, so
 * `ckit mock --data <dir>` replays production-shaped data.
 */
export function createRecorder(options: RecordOptions) {
  for (const pointer of options.redact ?? []) {
    if (!pointer.startsWith('/')) throw new CkitError('CKIT_DESK_INVALID_OPTION', `redact takes JSON pointers from the response root, like /customer/email; instead got ${JSON.stringify(pointer)}`, { option: 'redact' })
    if (pointer === '/customer' || pointer === '/sections') throw new CkitError('CKIT_DESK_INVALID_OPTION', `redact ${pointer} would replace the whole ${pointer.slice(1)}; name a value inside it, like ${pointer}/${pointer === '/customer' ? 'email' : '0/href'}`, { option: 'redact' })
  }
  const redact = (options.redact ?? []).map((pointer) => ({ pointer, at: fromRoot(pointer) }))
  mkdirSync(join(options.dir, 'customers'), { recursive: true })
  return (verdict: ProxyVerdict, response: CustomerConnectionResponse | undefined, request: ForwardedRequest = {}): RecordOutcome => {
    if (!verdict.ok || !response || !verdict.email) return { skipped: verdict.email ?? '(no e-mail)', reason: verdict.ok ? 'not a customer answer' : 'the answer was refused' }
    const email = verdict.email.toLowerCase()
    if (!/^[^/\\]+@[^/\\]+$/.test(email)) return { skipped: email, reason: 'not a usable file name' }
    const document = structuredClone({ customer: response.customer, sections: response.sections }) as { customer: Record<string, unknown>; sections: unknown[] }
    const unmatched = redact.filter(({ at }) => !redactAt(document, at)).map(({ pointer }) => pointer)
    const warn = unmatched.length > 0 ? { unmatched } : {}
    // Every file is checked, not only the customer: an endpoint that echoes the request (a debug
    // link carrying the signature, say) puts it in sections.json as easily.
    const files = mockDataFiles(options.dir, email, document)
    const liveSignature = request.signature?.replace(/^sha256=/i, '').toLowerCase()
    for (const { path, text } of files) {
      const lower = text.toLowerCase()
      if (SIGNATURE_VALUE.test(text) || (liveSignature && liveSignature.length >= 16 && lower.includes(liveSignature)) || (options.secret && text.includes(options.secret))) {
        return { skipped: email, reason: `${path} would contain a signature or the secret: nothing written`, ...warn }
      }
    }
    const written = writeMockDataFiles(files, { force: options.force === true })
    if ('exists' in written) return { skipped: email, reason: `${written.exists} exists (--force overwrites)`, ...warn }
    return { saved: written.written, ...warn }
  }
}
