import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { verify as octokitVerify } from '@octokit/webhooks-methods'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CONFORMANCE_DEFAULTS } from '../../src/conformance/index.js'
import { createRequestParser, parseSignedRequest, REQUEST_DEFAULTS, type ParseRequestResult } from '../../src/signature/index.js'
import { SCHEMES, type SchemeName } from '../../src/webhooks/index.js'
// @ts-expect-error plain ESM script without type declarations
import { vectorFiles } from '../../scripts/gen-vectors.mjs'

/**
 * contracts/vectors/: the language-neutral cases every implementation must agree with. Our own
 * code, the reference libraries of the other schemes, and an independent Python checker are each
 * run over every case.
 */
const VECTORS = new URL('../../contracts/vectors/', import.meta.url)
const CHECKER = new URL('check.py', VECTORS).pathname
const run = promisify(execFile)

type Pairs = [string, string][]
interface Expected {
  ok: boolean
  reason?: string
  status?: number
}
interface RequestVector {
  description: string
  secret: string
  path_parameter: string
  headers: Pairs
  now: string
  tolerance_seconds: number
  expected: Expected
}
interface WebhookVector {
  description: string
  scheme: SchemeName
  secret: string
  body: string
  headers: Pairs
  now: string
  tolerance_seconds?: number
  expected: Expected
}

const load = <T>(name: string): T[] => JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8')) as T[]
const requests = load<RequestVector>('request-signature.json')
const webhooks = load<WebhookVector>('webhooks.json')

/** Header pairs as node:http's `headersDistinct` would hand them over: lower-case names, repeats kept. */
function nodeHeaders(pairs: Pairs): Record<string, string | string[]> {
  const headers: Record<string, string[]> = {}
  for (const [name, value] of pairs) (headers[name.toLowerCase()] ??= []).push(value)
  return Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.length === 1 ? values[0]! : values]))
}


describe('contracts/vectors', () => {
  it('are what scripts/gen-vectors.mjs writes (npm run gen:vectors)', () => {
    for (const [name, text] of Object.entries(vectorFiles() as Record<string, string>)) {
      expect(readFileSync(new URL(name, VECTORS), 'utf8'), `contracts/vectors/${name} drifted from the script`).toBe(text)
    }
  })

  it('cover every failure reason and every scheme', () => {
    expect(new Set(requests.map((v) => v.expected.reason ?? 'ok'))).toEqual(new Set(['ok', 'missing', 'malformed', 'mismatch', 'stale', 'malformed_context', 'invalid_context']))
    for (const scheme of ['yetto', 'standard', 'github']) {
      const reasons = new Set(webhooks.filter((v) => v.scheme === scheme).map((v) => v.expected.reason ?? 'ok'))
      expect([...reasons].sort(), scheme).toEqual(expect.arrayContaining(['missing', 'malformed', 'mismatch', 'ok']))
    }
    expect(new Set(webhooks.map((v) => v.description)).size).toBe(webhooks.length)
    expect(new Set(requests.map((v) => v.description)).size).toBe(requests.length)
  })
})

describe('parseSignedRequest agrees with every request-signature vector', () => {
  it.each(requests.map((v) => [v.description, v] as const))('%s', (_, vector) => {
    const options = { secret: vector.secret, toleranceSeconds: vector.tolerance_seconds, now: () => Date.parse(vector.now) }
    const path = `/yetto/${vector.path_parameter}`
    const headers = nodeHeaders(vector.headers)
    const verdict = (result: ParseRequestResult) => (result.ok ? { ok: true } : { ok: false, reason: result.reason, status: result.status })
    expect(verdict(parseSignedRequest({ path, headers, ...options }))).toEqual(vector.expected)
    // The compiled parser caches decoded contexts: the second call must reach the same verdict from the cache.
    const parser = createRequestParser(options)
    expect([verdict(parser(path, headers)), verdict(parser(path, headers))]).toEqual([vector.expected, vector.expected])
  })
})

const verdictOf = (vector: WebhookVector) => {
  const verdict = SCHEMES[vector.scheme].verify(vector.secret, vector.body, nodeHeaders(vector.headers), { toleranceSeconds: vector.tolerance_seconds ?? Infinity, nowMs: Date.parse(vector.now) })
  return verdict.ok ? { ok: true } : { ok: false, reason: verdict.reason }
}

describe('the webhook schemes agree with every webhook vector', () => {
  it.each(webhooks.map((v) => [v.description, v] as const))('%s', (_, vector) => {
    expect(verdictOf(vector)).toEqual(vector.expected)
  })
})

/** The reference library's errors, in our reasons (its messages are its only error detail). */
function standardReference(vector: WebhookVector): Expected {
  vi.spyOn(Date, 'now').mockReturnValue(Date.parse(vector.now))
  try {
    new Webhook(vector.secret).verify(vector.body, Object.fromEntries(vector.headers), { jsonParse: false })
    return { ok: true }
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error
    const reason = { 'Missing required headers': 'missing', 'Invalid Signature Headers': 'malformed', 'Message timestamp too old': 'stale', 'Message timestamp too new': 'stale', 'No matching signature found': 'mismatch' }[error.message]
    return { ok: false, reason: reason ?? error.message }
  }
}

describe('the reference libraries agree with the vectors of their schemes', () => {
  afterEach(() => vi.restoreAllMocks())

  it.each(webhooks.filter((v) => v.scheme === 'standard').map((v) => [v.description, v] as const))('standardwebhooks: %s', (_, vector) => {
    expect(standardReference(vector)).toEqual(vector.expected)
  })

  // @octokit/webhooks-methods says only yes or no; a repeated header reaches it comma-joined, as node:http joins it.
  it.each(webhooks.filter((v) => v.scheme === 'github').map((v) => [v.description, v] as const))('@octokit/webhooks-methods: %s', async (_, vector) => {
    const values = vector.headers.filter(([name]) => name.toLowerCase() === 'x-hub-signature-256').map(([, value]) => value)
    const ok = values.length === 0 ? false : await octokitVerify(vector.secret, vector.body, values.join(', '))
    expect(ok).toBe(vector.expected.ok)
  })
})

describe('an independent Python checker (contracts/vectors/check.py, standard library only)', () => {
  it('reaches the same verdict as the vectors, case by case', async () => {
    const { stdout } = await run('python3', [CHECKER, '--json'])
    const verdicts = JSON.parse(stdout) as (Expected & { description: string })[]
    const expected = [...requests, ...webhooks].map((v) => ({ description: v.description, ok: v.expected.ok, ...(v.expected.reason === undefined ? {} : { reason: v.expected.reason }) }))
    expect(verdicts).toEqual(expected)
  })

  it('exits 1 and names the case when a vector expects something else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-vectors-'))
    const file = join(dir, 'flipped.json')
    const [first, ...rest] = requests
    writeFileSync(file, JSON.stringify([{ ...first!, expected: { ok: false, reason: 'mismatch', status: 401 } }, ...rest]))
    const failed = await run('python3', [CHECKER, file]).then(() => undefined, (error: { code: number; stdout: string }) => error)
    expect(failed?.code).toBe(1)
    expect(failed?.stdout).toContain(`✖ ${first!.description}: got {"ok": true}`)
    const { stdout } = await run('python3', [CHECKER])
    expect(stdout).toContain(`${requests.length + webhooks.length} of ${requests.length + webhooks.length} cases agree`)
  })
})

describe('docs/protocol.md "What an endpoint must do"', () => {
  const docs = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
  const musts = docs.slice(docs.indexOf('## What an endpoint must do'), docs.indexOf('### What our Node helpers add'))

  it('has a worked signature example that an independent HMAC reproduces', () => {
    const [, parameter, secret, hex] = /printf '%s' (\S+) \| openssl dgst -sha256 -hmac (\S+)` gives\s+`([0-9a-f]{64})`/.exec(musts) ?? []
    expect(parameter, 'the worked example is missing').toBeDefined()
    expect(createHmac('sha256', secret!).update(parameter!).digest('hex')).toBe(hex)
    expect(musts).toContain(`\`sha256=${hex}\``)
  })

  it('states the numbers our code enforces', () => {
    expect(musts).toContain(`**${REQUEST_DEFAULTS.toleranceSeconds} seconds**`)
    expect(musts).toContain(`**${CONFORMANCE_DEFAULTS.budgetMs / 1000} s**`)
    expect(musts).toContain(`**${CONFORMANCE_DEFAULTS.maxResponseBytes / 1024} KiB** (${CONFORMANCE_DEFAULTS.maxResponseBytes.toLocaleString('en-US')} bytes)`)
    for (const reason of new Set(requests.flatMap((v) => (v.expected.reason ? [v.expected.reason] : [])))) expect(musts).toContain(`{"error": "${reason}"}`)
  })
})
