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
    for (const customer of data.customers.values()) expect(check(customer)).toBe(true)
    expect(compileScenarioConfig(data.scenarios, 1).ok).toBe(true)
  })
})

describe('a broken data folder fails at start-up with the file and pointer', () => {
  it.each([
    ['sections.json', '[{"type": "link", "title": "x"}]', /sections\.json\/0\/href: is required/],
    ['sections.json', '[{"type": "link",', /sections\.json is not valid JSON: .* at line 1, column \d+/],
    ['customers/bad@example.com.json', '{"id": "customer_123456"}', /customers\/bad@example\.com\.json\/name: is required \(fixed customers must match customer\.schema\.json\)/],
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
    expect(() => loadMockData(dir)).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/cannot read .*scenarios\.yaml: it is a folder, not a file/) }))
    await rm(join(dir, 'scenarios.yaml'), { recursive: true })
    await rm(join(dir, 'customers'), { recursive: true })
    expect(loadMockData(dir).customers.size).toBe(0)
    await writeFile(join(dir, 'customers'), 'not a folder')
    expect(() => loadMockData(dir)).toThrow(expect.objectContaining({ code: 'CKIT_MOCK_INVALID_DATA', message: expect.stringMatching(/cannot read .*customers\/: a part of the path is a file, not a folder/) }))
  })
})
