import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { parseSignedRequest, verify } from '../../src/signature/index.js'
import { COMMANDS } from '../../src/cli/commands/index.js'
import { cli, fixturePath } from '../helpers.js'

const context = fixturePath('request-context/valid/conversation-viewed.json')

describe('ckit (dispatcher)', () => {
  it('prints help with every command and exits 0; no arguments is a usage error', async () => {
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/validate/)
    expect(help.stdout).toMatch(/sign/)
    expect((await cli([])).code).toBe(2)
  })

  it('has --help with an example on every command', async () => {
    for (const { name } of COMMANDS) {
      const run = await cli([name, '--help'])
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/Examples:\n {2}\$ ckit /)
    }
  })

  it('treats unknown flags and commands as usage errors (exit 2) on stderr', async () => {
    const flag = await cli(['validate', 'x.json', '--bogus'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toMatch(/unknown option '--bogus'/)
    expect((await cli(['frobnicate'])).code).toBe(2)
  })

  it('runs as a real process from the bin entry', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { cwd: new URL('../..', import.meta.url).pathname })
    expect(out.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})

describe('ckit validate', () => {
  it('prints errors with pointers and exits 1 for an invalid document', async () => {
    const run = await cli(['validate', fixturePath('response/invalid/href-not-string.json')])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('/sections/1/href: must be a string')
  })

  it('reads standard input with -', async () => {
    const run = await cli(['validate', '-', '--json'], { stdin: '{"challenge": "abc"}' })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ valid: true, kind: 'challenge', errors: [], warnings: [] })
  })

  it('reports invalid JSON with line and column, exit 1', async () => {
    const run = await cli(['validate', '-', '--json'], { stdin: '{\n "a": }' })
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout).errors[0]).toMatchObject({ keyword: 'json', line: 2, column: 7 })
  })

  it('makes a warning an error with --strict', async () => {
    const file = fixturePath('response/valid/unknown-section-type.json')
    expect((await cli(['validate', file])).code).toBe(0)
    const strict = await cli(['validate', file, '--strict'])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toContain('/sections/1/type')
  })

  // The help desk validates, then renders: what passes the schema but cannot be displayed is refused (template_error).
  const linkResponse = (title: string, href: string): string =>
    JSON.stringify({ version: '2024-03-06', customer: { id: 'c_1', name: 'Kelly' }, sections: [{ type: 'link', title, href }] })

  it.each([
    ['an href that is no absolute URL', linkResponse('Open', 'https://'), '/sections/0/href', 'unsafe_href'],
    ['a tag that loads another template', linkResponse('{% include "x" %}', 'https://x.example'), '/sections/0/title', 'syntax'],
    ['an unknown filter', linkResponse('{{ data.customer.name | nosuchfilter }}', 'https://x.example'), '/sections/0/title', 'syntax'],
    [
      'an unknown filter in a list value',
      JSON.stringify({ version: '2024-03-06', customer: { id: 'c_1', name: 'Kelly' }, sections: [{ type: 'list', title: 'x', items: [{ description: 'a', value: '{{ data.customer.name | nosuchfilter }}' }] }] }),
      '/sections/0/items/0/value',
      'syntax',
    ],
  ])('calls a response with %s invalid (exit 1), with or without --strict', async (_, stdin, pointer, keyword) => {
    for (const flags of [[], ['--strict']]) {
      const run = await cli(['validate', '-', '--json', ...flags], { stdin })
      expect(run.code).toBe(1)
      const out = JSON.parse(run.stdout) as { valid: boolean; kind: string; errors: { pointer: string; keyword: string }[] }
      expect(out).toMatchObject({ valid: false, kind: 'response' })
      expect(out.errors).toEqual([expect.objectContaining({ pointer, keyword })])
    }
    const text = await cli(['validate', '-'], { stdin })
    expect(text.stdout).toMatch(new RegExp(`^<stdin>: invalid response\n {2}error {4}${pointer}: `))
  })

  it('reports an undefined variable as a warning, and as an error with --strict', async () => {
    const stdin = linkResponse('{{ data.customer.nope }}', 'https://x.example')
    const lenient = await cli(['validate', '-', '--json'], { stdin })
    expect(lenient.code).toBe(0)
    expect(JSON.parse(lenient.stdout)).toMatchObject({ valid: true, errors: [], warnings: [{ pointer: '/sections/0/title', keyword: 'undefined_variable' }] })
    const strict = await cli(['validate', '-', '--json', '--strict'], { stdin })
    expect(strict.code).toBe(1)
    expect(JSON.parse(strict.stdout).errors).toEqual([expect.objectContaining({ pointer: '/sections/0/title', keyword: 'undefined_variable' })])
  })

  it('checks the schema alone with --schema-only', async () => {
    const run = await cli(['validate', '-', '--json', '--schema-only', '--strict'], { stdin: linkResponse('{% include "x" %}', 'https://') })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ valid: true, kind: 'response', errors: [], warnings: [] })
  })

  it('warns once about an unknown section type (schema and renderer both see it)', async () => {
    const run = await cli(['validate', fixturePath('response/valid/unknown-section-type.json'), '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).warnings).toHaveLength(1)
  })

  it('exits 2 for an unreadable file or a bad --kind', async () => {
    const missing = await cli(['validate', 'does-not-exist.json'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('cannot read does-not-exist.json: no such file')
    expect((await cli(['validate', context, '--kind', 'poem'])).code).toBe(2)
  })
})

describe('ckit sign', () => {
  it('prints the header value for a message', async () => {
    const run = await cli(['sign', '--secret', 'Jefe', 'what do ya want for nothing?'])
    expect(run).toMatchObject({ code: 0, stdout: 'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\n' })
  })

  it('signs raw standard input bytes and reads the secret from CKIT_SECRET', async () => {
    const run = await cli(['sign', '-'], { stdin: '{"yetto":{}}\n', env: { CKIT_SECRET: 'k' } })
    expect(verify('k', '{"yetto":{}}\n', run.stdout.trim())).toEqual({ ok: true })
  })

  it('builds a signed request from a context: path parameter, header, URL and curl line', async () => {
    const run = await cli(['sign', '--secret', 'k', '--context', context, '--url', 'https://crm.example.com/yetto', '--json'])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout) as { pathParameter: string; signature: string; url: string; curl: string }
    expect(out.url).toBe(`https://crm.example.com/yetto/${out.pathParameter}`)
    expect(out.curl).toBe(`curl -sS -H 'X_YETTO_SIGNATURE: ${out.signature}' ${out.url}`)
    const parsed = parseSignedRequest({ path: new URL(out.url).pathname, headers: { X_YETTO_SIGNATURE: out.signature }, secret: 'k' })
    expect(parsed).toMatchObject({ ok: true, context: { requester: { email: 'kelly@example.com' } } })
    const text = await cli(['sign', '--secret', 'k', '--context', context, '--url', 'https://crm.example.com/yetto'])
    expect(text.stdout).toMatch(/^path parameter: .+\nrequested at: .+ \(stamped now.*\nheader: +X_YETTO_SIGNATURE: sha256=[0-9a-f]{64}\nurl: .+\ncurl: +curl /)
  })

  it('stamps the current time on a stored context, so endpoints do not refuse it as stale; --keep-requested-at keeps it', async () => {
    const stamped = JSON.parse((await cli(['sign', '--secret', 'k', '--context', context, '--json'])).stdout) as { requestedAt: string }
    expect(Math.abs(Date.parse(stamped.requestedAt) - Date.now())).toBeLessThan(60_000)
    const kept = JSON.parse((await cli(['sign', '--secret', 'k', '--context', context, '--keep-requested-at', '--json'])).stdout) as { requestedAt: string }
    expect(kept.requestedAt).toBe((JSON.parse(readFileSync(context, 'utf8')) as { requested_at: string }).requested_at)
  })

  it('rejects an invalid context with its pointer (exit 1) and missing input (exit 2)', async () => {
    const bad = await cli(['sign', '--secret', 'k', '--context', fixturePath('request-context/invalid/bad-email.json')])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('/requester/email: must be an e-mail address')
    expect((await cli(['sign', 'message'])).stderr).toMatch(/--secret <secret> or set CKIT_SECRET/)
    expect((await cli(['sign', '--secret', 'k'])).code).toBe(2)
    expect((await cli(['sign', '--secret', 'k', '--context', context, '--url', 'mailto:x@y.z'])).code).toBe(2)
  })
})

describe('misuse is a usage error, found up front', () => {
  it('a command throws CKIT_CLI_USAGE for arguments it cannot use', async () => {
    const { signCommand } = await import('../../src/cli/commands/sign.js')
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: process.cwd(), readStdin: async () => Buffer.alloc(0), waitForShutdown: () => new Promise<string>(() => {}) }
    await expect(signCommand.run([], {}, io)).rejects.toMatchObject({ code: 'CKIT_CLI_USAGE', errorClass: 'usage' })
  })

  it.each([
    ['fetch with an e-mail that is not one', ['fetch', 'http://127.0.0.1:9/', '--secret', 'k', '--email', 'kelly'], /--email must be an e-mail address, instead got "kelly"/],
    ['automate --seed abc', ['automate', '--switch', fixturePath('examples/switch-label-urgent.json'), '--event', 'message.created', '--fake', '--seed', 'abc'], /--seed must be a whole number/],
    ['automate --connection with a bad e-mail', ['automate', '--switch', fixturePath('examples/switch-label-urgent.json'), '--event', 'message.created', '--fake', '--connection', 'http://127.0.0.1:9/', '--secret', 'k', '--email', 'bad'], /--email must be an e-mail address/],
    ['validate on a folder', ['validate', fixturePath('examples')], /cannot read .*examples\/?: it is a folder, not a file/],
    ['mock --data on a missing folder', ['mock', '--port', '0', '--data', '/nonexistent-ckit-data'], /cannot use the data folder \/nonexistent-ckit-data: no such file or folder/],
    ['pact verify with a base URL that is not one', ['pact', 'verify', '--provider-base-url', 'not a url', '--secret', 's'], /--provider-base-url must be an absolute http: or https: URL, instead got "not a url"/],
    ['proxy with an ftp upstream', ['proxy', '--upstream', 'ftp://x.example/'], /--upstream must use http: or https:, instead got ftp:/],
    ['conformance without a secret', ['conformance', 'http://127.0.0.1:9/'], /a signing secret is required: pass --secret <secret> or set CKIT_SECRET/],
    ['fetch --timeout NaN', ['fetch', 'http://127.0.0.1:9/', '--secret', 'k', '--email', 'a@example.com', '--timeout', 'NaN'], /--timeout must be a whole number/],
  ])('%s: exit 2 with one line, no stack trace', async (_name, argv, message) => {
    const run = await cli(argv)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/)
  })

  it('automate --payload is checked against the event and names an object sent for the wrong event (exit 1)', async () => {
    const conversation = JSON.stringify({ id: 'conv_1', inbox: { id: 'i' }, title: 'Help', state: 'open', html_url: 'https://x.example/c', labels: [] })
    const run = await cli(['automate', '--switch', fixturePath('examples/switch-label-urgent.json'), '--event', 'message.created', '--payload', '-'], { stdin: conversation })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/\/author: is required/)
    expect(run.stderr).toMatch(/this is a conversation object, but message.created carries a message/)
  })
})
