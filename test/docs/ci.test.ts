import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MOCK_ENV } from '../../src/cli/commands/mock.js'
import { SECRET_ENV } from '../../src/cli/commands/sign.js'
import { parseYamlText } from '../../src/yaml.js'

/**
 * docs/ci.md's GitHub Actions and compose recipes cannot run here (no Docker engine): they are
 * parsed, and each name, port and health check they rely on is checked against the mock's
 * environment table and the Dockerfile.
 */
const doc = readFileSync(new URL('../../docs/ci.md', import.meta.url), 'utf8')
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
const MOCK_VARIABLES = new Set([...Object.values(MOCK_ENV).map((e) => e.name), SECRET_ENV])
/** What examples/vitest-sessions/global-setup.mjs reads to use a mock it did not start. */
const EXAMPLE_VARIABLES = ['CKIT_MOCK_ORIGIN', 'CKIT_MOCK_SECRET', 'CKIT_MOCK_ADMIN_TOKEN']

function recipe(name: string): Record<string, unknown> {
  const match = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(doc)
  expect(match, name).not.toBeNull()
  const parsed = parseYamlText(match![1]!)
  if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}${parsed.where}`)
  return parsed.value as Record<string, unknown>
}

/** The mock's variables are all ones `ckit mock` reads, and the port it publishes is CKIT_PORT's. */
function checkMockService(env: Record<string, unknown>, ports: unknown[]): void {
  for (const name of Object.keys(env)) expect(MOCK_VARIABLES, name).toContain(name)
  const port = String(env['CKIT_PORT'])
  expect(ports.map(String)).toContain(`${port}:${port}`)
}

describe('docs/ci.md recipes', () => {
  it('the Dockerfile health check follows CKIT_PORT and asks /__admin/health', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*process\.env\.CKIT_PORT.*\/__admin\/health/m)
    expect(dockerfile).toMatch(/^EXPOSE 4010$/m)
  })

  it('GitHub Actions: the service uses mock variables, publishes CKIT_PORT and only tunes the image health check', () => {
    const jobs = recipe('github-actions')['jobs'] as Record<string, { services: Record<string, { env: Record<string, unknown>; ports: unknown[]; options: string }>; steps: { env?: Record<string, string> }[] }>
    const job = jobs['test']!
    const mock = job.services['mock']!
    checkMockService(mock.env, mock.ports)
    // No --health-cmd of its own: the image's HEALTHCHECK (checked above) is the one that runs.
    for (const flag of mock.options.match(/--[a-z-]+/g) ?? []) expect(['--health-interval', '--health-timeout', '--health-retries', '--health-start-period'], flag).toContain(flag)
    const testEnv = job.steps.find((step) => step.env?.['CKIT_MOCK_ORIGIN'])!.env!
    expect(Object.keys(testEnv).sort()).toEqual([...EXAMPLE_VARIABLES].sort())
    expect(testEnv['CKIT_MOCK_ORIGIN']).toBe(`http://127.0.0.1:${mock.env['CKIT_PORT']}`)
    expect(testEnv['CKIT_MOCK_SECRET']).toBe(mock.env['CKIT_SECRET'])
    expect(testEnv['CKIT_MOCK_ADMIN_TOKEN']).toBe(mock.env['CKIT_ADMIN_TOKEN'])
  })

  it('compose: the tests wait for the mock to be healthy and reach it by service name on CKIT_PORT', () => {
    const services = recipe('compose')['services'] as Record<string, { environment: Record<string, unknown>; ports?: unknown[]; depends_on?: Record<string, { condition: string }> }>
    const mock = services['mock']!
    checkMockService(mock.environment, mock.ports!)
    const tests = services['tests']!
    expect(tests.depends_on?.['mock']?.condition).toBe('service_healthy')
    expect(Object.keys(tests.environment).sort()).toEqual([...EXAMPLE_VARIABLES].sort())
    expect(tests.environment['CKIT_MOCK_ORIGIN']).toBe(`http://mock:${mock.environment['CKIT_PORT']}`)
    expect(tests.environment['CKIT_MOCK_SECRET']).toBe(mock.environment['CKIT_SECRET'])
  })

  it('the example global setup reads the variables the recipes set', () => {
    const setup = readFileSync(new URL('../../examples/vitest-sessions/global-setup.mjs', import.meta.url), 'utf8')
    for (const name of EXAMPLE_VARIABLES) expect(setup).toContain(`process.env.${name}`)
  })
})
