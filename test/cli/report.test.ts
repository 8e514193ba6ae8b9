import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { junitXml, reportText } from '../../src/cli/report.js'
import { cli, localServer } from '../helpers.js'

/** Parses with a real XML parser (python3's expat): each testcase's name, and its failure or skip if any. */
function parseJunit(path: string): { suite: Record<string, string>; cases: { name: string; failure?: string; skipped?: string }[] } {
  const script = [
    'import sys, json, xml.etree.ElementTree as E',
    'suite = E.parse(sys.argv[1]).getroot().find("testsuite")',
    'cases = []',
    'for c in suite.iter("testcase"):',
    '  f, s = c.find("failure"), c.find("skipped")',
    '  case = {"name": c.get("name")}',
    '  if f is not None: case["failure"] = f.get("message")',
    '  if s is not None: case["skipped"] = s.get("message")',
    '  cases.append(case)',
    'print(json.dumps({"suite": dict(suite.attrib), "cases": cases}))',
  ].join('\n')
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as ReturnType<typeof parseJunit>
}

const schema = JSON.parse(readFileSync(new URL('../../docs/conformance-report.schema.json', import.meta.url), 'utf8')) as object
const validReport = new Ajv2020({ allErrors: true }).compile(schema)

describe('one report for both check suites: text, --json and JUnit', () => {
  let server: Awaited<ReturnType<typeof localServer>>
  let url: string
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ckit-report-'))
    // Broken for both suites: it answers everything 200 with a valid empty response, signed or not.
    server = await localServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"2024-03-06","customer":{"id":"c"},"sections":[]}'))
    })
    url = server.url
  })
  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const runs = {
    conformance: (extra: string[]) => cli(['conformance', url, '--secret', 's3cret', '--requests', '1', '--concurrency', '1', ...extra]),
    'webhooks probe': (extra: string[]) => cli(['webhooks', 'probe', '--to', url, '--secret', 's3cret', '--expect-replay-protection', ...extra]),
  }

  it.each(Object.keys(runs) as (keyof typeof runs)[])('%s: --json matches the schema, and the JUnit file parses with each ✖ a <failure>', async (suite) => {
    const file = join(dir, `${suite}.xml`)
    const run = await runs[suite](['--json', '--junit', file])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout) as { ok: boolean; suite: string; url: string; checks: { name: string; status: string; reason: string }[] }
    expect(validReport(report), JSON.stringify(validReport.errors)).toBe(true)
    expect(report).toMatchObject({ ok: false, suite, url })
    const failed = report.checks.filter((c) => c.status === 'fail')
    expect(failed.map((c) => c.name)).toContain(suite === 'conformance' ? 'rejects-unsigned' : 'missing-signature')
    const junit = parseJunit(file)
    expect(junit.suite).toMatchObject({ name: `ckit ${suite} ${url}`, tests: String(report.checks.length), failures: String(failed.length) })
    expect(junit.cases.map((c) => c.name)).toEqual(report.checks.map((c) => c.name))
    expect(junit.cases.filter((c) => c.failure !== undefined).map((c) => [c.name, c.failure])).toEqual(failed.map((c) => [c.name, c.reason]))
  })

  it.each(Object.keys(runs) as (keyof typeof runs)[])('%s: the text has one line per check, its fix under each ✖, and the count', async (suite) => {
    const run = await runs[suite]([])
    const json = JSON.parse((await runs[suite](['--json'])).stdout) as { checks: { name: string; status: string }[] }
    const ran = json.checks.filter((c) => c.status !== 'skip')
    expect(run.stdout).toMatch(new RegExp(`\\n${ran.filter((c) => c.status === 'fail').length} of ${ran.length} checks failed\\n$`))
    expect(run.stdout).toMatch(suite === 'conformance' ? /✖ rejects-unsigned +.*\n {4}fix: / : /✖ missing-signature +.*\n {4}fix: /)
  })

  it('renders a skipped check as - in text and <skipped> in JUnit, and neither fails the suite', async () => {
    const checks = [
      { name: 'replay', status: 'pass', reason: 'rejected (409)', latencyMs: 1234 },
      { name: 'stale-timestamp', status: 'skip', reason: 'GitHub signs no timestamp' },
      { name: 'latency', status: 'warn', reason: 'p95 1700 ms', fix: 'keep answers under 1.5 s' },
    ] as const
    expect(reportText(checks, 'all good')).toBe('✔ replay           rejected (409)\n- stale-timestamp  not applicable: GitHub signs no timestamp\n⚠ latency          p95 1700 ms\n    fix: keep answers under 1.5 s\nall good (1 warning)\n')
    const file = join(dir, 'skip.xml')
    writeFileSync(file, junitXml({ suite: 'webhooks probe', url: 'http://x/', checks }))
    const junit = parseJunit(file)
    expect(junit.suite).toMatchObject({ tests: '3', failures: '0', skipped: '1' })
    expect(junit.cases).toEqual([{ name: 'replay' }, { name: 'stale-timestamp', skipped: 'GitHub signs no timestamp' }, { name: 'latency' }])
    expect(readFileSync(file, 'utf8')).toContain('name="replay" time="1.234"')
  })
})
