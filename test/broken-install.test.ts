import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The two internal error codes come from a broken installation, not from anything a caller does:
 * reproduced with a copy of the built package (dist/, made by `npm ci`'s prepare step) whose
 * schemas/ are missing or out of step with the validators compiled from them.
 */
const root = new URL('..', import.meta.url).pathname
let dir: string

function run(script: string): { code?: string; errorClass?: string } {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' })
  return JSON.parse(out) as { code?: string; errorClass?: string }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ckit-broken-'))
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true })
  cpSync(join(root, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a broken installation', () => {
  it('without schemas/: CKIT_SCHEMA_LOAD_FAILED, class internal', () => {
    const result = run(`import { validate } from './dist/schema/index.js'
      try { validate('response', {}); console.log('{}') } catch (e) { console.log(JSON.stringify({ code: e.code, errorClass: e.errorClass })) }`)
    expect(result).toEqual({ code: 'CKIT_SCHEMA_LOAD_FAILED', errorClass: 'internal' })
  })

  it('with schemas out of step with the compiled validators: the payload generator gives up with CKIT_FAKE_GENERATION_FAILED', () => {
    cpSync(join(root, 'schemas'), join(dir, 'schemas'), { recursive: true })
    const file = join(dir, 'schemas', 'webhook-objects.schema.json')
    const objects = JSON.parse(readFileSync(file, 'utf8')) as { $defs: { message: { properties: { visibility: Record<string, unknown> } } } }
    objects.$defs.message.properties.visibility = { type: 'string', enum: ['secret'] }
    writeFileSync(file, JSON.stringify(objects))
    const result = run(`import { fakePayload } from './dist/fake/index.js'
      try { await fakePayload('message.created', 1, { attempts: 3 }); console.log('{}') } catch (e) { console.log(JSON.stringify({ code: e.code, errorClass: e.errorClass })) }`)
    expect(result).toEqual({ code: 'CKIT_FAKE_GENERATION_FAILED', errorClass: 'internal' })
  })
})
