import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeContext, pathParameterOf } from '../../src/signature/index.js'
import { cli } from '../helpers.js'

/**
 * A hostile endpoint chooses the text `ckit conformance` reports: key names (strict-schema
 * pointers), undefined variable names, Liquid tag names, and its error page's Content-Type.
 * It hopes to drive the terminal of whoever runs the check, or to break the CI report.
 */
const TITLE = '\u001b]0;pwned\u0007'
const CLEAR = '\u001b[2J\u001b[H'
const NUL = '\u0000'
const C1 = '\u009b31m'
const hostile = (template: string) =>
  JSON.stringify({
    version: '2024-03-06',
    customer: { id: 'c' },
    sections: [{ type: 'list', title: 'Plan', items: [{ description: 'd', value: template }] }],
    [`extra${TITLE}${NUL}`]: true,
  })
/** Per customer e-mail: an undefined variable's name, or a Liquid tag's name, chosen by the endpoint. */
const TEMPLATES: Record<string, string> = {
  'kelly@example.com': `{{ data.customer["nope${CLEAR}${NUL}"] }}`,
  'tag@example.com': `{% ${C1}pwn %}`,
}
// Node refuses C0 in header values but lets latin-1 through: U+009B is CSI, a C1 control.
const HOSTILE_TYPE = `text/html; x=${C1}`

// eslint-disable-next-line no-control-regex
const terminalControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

/** Parses with a real XML parser (python3's expat), not with a regular expression. */
function parseXml(path: string): { ok: true; failures: string[] } | { ok: false; error: string } {
  const script = 'import sys, json, xml.etree.ElementTree as E\ntry:\n  root = E.parse(sys.argv[1]).getroot()\nexcept E.ParseError as e:\n  print(json.dumps({"ok": False, "error": str(e)})); sys.exit(0)\nprint(json.dumps({"ok": True, "failures": [f.text or "" for f in root.iter("failure")]}))\n'
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as ReturnType<typeof parseXml>
}

describe('ckit conformance against a hostile endpoint', () => {
  let server: Server
  let url: string
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ckit-conformance-attack-'))
    server = createServer((req, res) => {
      const decoded = decodeContext(pathParameterOf(req.url ?? '/'))
      const email = decoded.ok ? decoded.context.requester?.email : undefined
      if (email?.endsWith('.invalid')) return res.writeHead(404, { 'content-type': HOSTILE_TYPE }).end(`<h1>${CLEAR}not found</h1>`)
      if (decoded.ok && decoded.context.challenge !== undefined) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: decoded.context.challenge }))
      res.writeHead(200, { 'content-type': 'application/json' }).end(hostile(TEMPLATES[email ?? ''] ?? ''))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })

  it('cannot put a control character on the terminal, and its names still show as escapes', async () => {
    const run = await cli(['conformance', url, '--secret', 's3cret', '--requests', '1', '--concurrency', '1'])
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).not.toMatch(terminalControl)
    // What was neutralised is shown, not hidden: the user still learns which key is wrong.
    expect(run.stdout).toContain('extra\\x1b]0;pwned\\x07\\x00')
    expect(run.stdout).toContain('\\x9b31m')
  })

  it('cannot break the JUnit report: a real XML parser reads it, with the names escaped', async () => {
    for (const [email, shown] of [['kelly@example.com', /nope\\x1b\[2J\\x1b\[H\\x00/], ['tag@example.com', /tag "\\x9b31mpwn"/]] as const) {
      const file = join(dir, `${email}.xml`)
      await cli(['conformance', url, '--secret', 's3cret', '--email', email, '--requests', '1', '--concurrency', '1', '--junit', file])
      const parsed = parseXml(file)
      expect(parsed, readFileSync(file, 'utf8')).toMatchObject({ ok: true })
      const failures = parsed.ok ? parsed.failures.join('\n') : ''
      expect(failures).toMatch(shown)
      expect(failures).not.toMatch(terminalControl)
    }
  })

  it('cannot put a C1 control or a bidi override raw into the --json report', async () => {
    const run = await cli(['conformance', url, '--secret', 's3cret', '--requests', '1', '--concurrency', '1', '--json'])
    expect(run.stdout).not.toMatch(terminalControl)
    const report = JSON.parse(run.stdout) as { checks: { name: string; reason: string }[] }
    // JSON escapes keep the value: a program reading the report sees what the endpoint sent.
    expect(report.checks.find((c) => c.name === 'unknown-customer')?.reason).toContain(HOSTILE_TYPE)
  })
})
