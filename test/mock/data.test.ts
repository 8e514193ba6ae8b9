import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { compileScenarioConfig, DEFAULT_DATA_DIR, loadMockData } from '../../src/mock/index.js'
import { customerValidator } from '../../src/mock/data.js'

const dirs: string[] = []
async function dataDir(change: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ckit-data-'))
  dirs.push(dir)
  await cp(DEFAULT_DATA_DIR, dir, { recursive: true })
  for (const [file, content] of Object.entries(change)) await writeFile(join(dir, file), content)
  return dir
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('the shipped mocks/ folder', () => {
  it('has fixed customers that match customer.schema.json, valid sections and valid scenarios', () => {
    const data = loadMockData()
    expect(data.customers.size).toBeGreaterThanOrEqual(2)
    const check = customerValidator(data.customerSchema, 'customer.schema.json')
    for (const { customer } of data.customers.values()) expect(check(customer)).toBe(true)
    expect(compileScenarioConfig(data.scenarios, 1).ok).toBe(true)
  })
})

describe('a broken data folder fails at start-up with the file and pointer', () => {
  it.each([
    ['sections.json', '[{"type": "link", "title": "x"}]', /sections\.json\/0\/href: is required/],
    ['sections.json', '[{"type": "link",', /sections\.json is not valid JSON: .* at line 1, column \d+/],
    ['customers/bad@example.com.json', '["kelly"]', /customers\/bad@example\.com\.json must be an object/],
    ['customers/bad@example.com.json', '{"customer": {"id": 1}, "sections": [{"type": "link", "title": "x"}]}', /customers\/bad@example\.com\.json\/sections\/0\/href: is required/],
    ['customer.schema.json', '{"type": "object", "propertees": {}}', /customer\.schema\.json is not a valid JSON Schema/],
    ['scenarios.yaml', 'rules: [ { match: x', /scenarios\.yaml is not valid YAML at line \d+, column \d+/],
  ])('%s', async (file, content, message) => {
    const dir = await dataDir({ [file]: content })
    expect(() => loadMockData(dir)).toThrow(message)
    try {
      loadMockData(dir)
    } catch (error) {
      expect(error).toMatchObject({ code: 'CKIT_MOCK_INVALID_DATA' })
    }
  })
})

describe('a data folder that cannot be read says so in words', () => {
  it('a missing folder, a file instead of a folder, and unreadable parts stop start-up; only missing optional files are skipped', async () => {
    expect(() => loadMockData('/nonexistent-ckit-data')).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: 'cannot use the data folder /nonexistent-ckit-data: no such file or folder' }))
    const dir = await dataDir({})
    expect(() => loadMockData(join(dir, 'sections.json'))).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/is a file, not a folder/) }))
    await rm(join(dir, 'scenarios.yaml'))
    await mkdir(join(dir, 'scenarios.yaml'))
    expect(() => loadMockData(dir)).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/scenarios\.yaml cannot be read: it is a folder, not a file/) }))
    await rm(join(dir, 'scenarios.yaml'), { recursive: true })
    await rm(join(dir, 'customers'), { recursive: true })
    expect(loadMockData(dir).customers.size).toBe(0)
    await writeFile(join(dir, 'customers'), 'not a folder')
    expect(() => loadMockData(dir)).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/customers\/ cannot be read: a part of the path is a file, not a folder/) }))
  })
})

describe('fixed customers', () => {
  it('a folder with three bad files reports all three in one run, each with its file and pointer', async () => {
    const dir = await dataDir({})
    await writeFile(join(dir, 'customers', 'a@example.com.json'), '{"name": "A",')
    await writeFile(join(dir, 'customers', 'b@example.com.json'), '"b"')
    await writeFile(join(dir, 'customers', 'c@example.com.json'), '{"customer": {"name": "C"}, "sections": [{"type": "link", "title": "no href"}]}')
    await writeFile(join(dir, 'sections.json'), '[{"type": "list", "title": "x"}]')
    let thrown: unknown
    try {
      loadMockData(dir)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/^4 problems in the data folder /) })
    const errors = (thrown as { errors: { file: string; pointer: string; message: string }[] }).errors
    expect(errors.map((e) => [e.file.replace(/^[^/]+\//, ''), e.pointer])).toEqual([
      ['sections.json', '/0/items'],
      ['customers/a@example.com.json', ''],
      ['customers/b@example.com.json', ''],
      ['customers/c@example.com.json', '/sections/0/href'],
    ])
    for (const e of errors) expect((thrown as Error).message).toContain(`${e.file}${e.pointer}`)
  })

  it('accept what PUT /__admin/customers/<email> accepts: any customer object, or { customer, sections } with its own sections', async () => {
    const dir = await dataDir({})
    const own = [{ type: 'link', title: 'Own', href: 'https://example.com/own' }]
    await writeFile(join(dir, 'customers', 'minimal@example.com.json'), '{"name": "Only a name"}')
    await writeFile(join(dir, 'customers', 'own@example.com.json'), JSON.stringify({ customer: { name: 'Own' }, sections: own }))
    const data = loadMockData(dir)
    expect(data.customers.get('minimal@example.com')).toEqual({ customer: { name: 'Only a name' } })
    expect(data.customers.get('own@example.com')).toEqual({ customer: { name: 'Own' }, sections: own })
    const { startMock } = await import('../../src/mock/index.js')
    const mock = await startMock({ port: 0, dataDir: dir, verify: false })
    try {
      const served = (await (await fetch(`${mock.origin}/__admin/customers/own@example.com`)).json()) as { origin: string; response: { sections: unknown } }
      expect(served).toMatchObject({ origin: 'fixed', response: { customer: { name: 'Own' }, sections: own } })
      const put = await fetch(`${mock.origin}/__admin/customers/runtime@example.com`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customer: { name: 'Only a name' } }) })
      expect(put.status).toBe(200)
    } finally {
      await mock.close()
    }
  })
})
