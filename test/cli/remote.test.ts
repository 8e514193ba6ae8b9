import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { cli, fixturePath } from '../helpers.js'

let mock: RunningMock
let dir: string
beforeAll(async () => {
  mock = await startMock({ port: 0, secret: 'cli-secret' })
  dir = await mkdtemp(join(tmpdir(), 'ckit-cli-'))
})
afterAll(async () => {
  await mock.close()
})

describe('ckit fetch', () => {
  it('shows the sidebar as text for a working endpoint (exit 0)', async () => {
    const run = await cli(['fetch', mock.url, '--secret', 'cli-secret', '--email', 'kelly@example.com'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Kelly Customer in the admin')
    expect(run.stdout).toMatch(/Plan +Business/)
  })

  it('prints the result union with --format json', async () => {
    const ok = await cli(['fetch', mock.url, '--email', 'kelly@example.com', '--format', 'json'], { env: { CKIT_SECRET: 'cli-secret' } })
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, response: { version: '2024-03-06' }, rendered: { sections: expect.any(Array) } })
    const failed = await cli(['fetch', mock.url, '--email', 'x@unavailable.test', '--format', 'json', '--secret', 'cli-secret'])
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, error: { kind: 'http_status', status: 503 } })
    expect(failed.code).toBe(5)
  })

  it.each([
    ['x@timeout.test', 3, 'timeout', ['--timeout', '300']],
    ['x@reset.test', 4, 'network', []],
    ['x@server-error.test', 5, 'http_status', []],
    ['x@too-large.test', 6, 'too_large', []],
    ['x@malformed.test', 7, 'invalid_json', []],
    ['x@invalid.test', 8, 'schema_invalid', []],
    // The schema's href pattern refuses a javascript: link before any template runs.
    ['x@unsafe.test', 8, 'schema_invalid', []],
    ['x@template.test', 9, 'template_error', []],
  ])('%s exits %i (%s)', async (email, code, kind, extra) => {
    const run = await cli(['fetch', mock.url, '--secret', 'cli-secret', '--email', email, ...extra])
    expect(run.code).toBe(code)
    expect(run.stderr).toContain(`error: ${kind}:`)
  })

  it('shows the error card with --format html', async () => {
    const run = await cli(['fetch', mock.url, '--secret', 'wrong', '--email', 'kelly@example.com', '--format', 'html'])
    expect(run.code).toBe(5)
    expect(run.stdout).toContain('data-kind="http_status"')
  })
})

describe('ckit test-connection', () => {
  it('passes against the mock and fails on a wrong secret', async () => {
    const ok = await cli(['test-connection', mock.url, '--secret', 'cli-secret'])
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: the endpoint echoed the challenge/) })
    const bad = await cli(['test-connection', mock.url, '--secret', 'nope', '--json'])
    expect(bad.code).toBe(5)
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { kind: 'http_status', status: 401 } })
  })
})

describe('ckit automate', () => {
  const message = {
    yetto: {
      message: { id: 'msg_9', conversation: { id: 'c', labels: ['triage'], assignees: [] }, author: { name: 'A' }, visibility: 'internal', text_content: '@label add urgent', created_by_membership: { id: 'm' } },
    },
  }

  it('prints a plan and, with --execute --json, the conversation after the actions', async () => {
    const payload = join(dir, 'message.json')
    await writeFile(payload, JSON.stringify(message))
    const run = await cli(['automate', '--switch', fixturePath('examples/switch-label-urgent.json'), '--event', 'message.created', '--payload', payload, '--execute', '--json'])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.plan.handlers[0]).toMatchObject({ pattern: 'message.created', status: 'ran' })
    expect(out.conversation).toEqual({ labels: ['triage', 'bug.urgent'], assignees: [] })
    expect(out.requests).toEqual([])
  })

  it('fetches data.customer through --connection and routes on it', async () => {
    const vip = join(dir, 'vip.json')
    await writeFile(vip, JSON.stringify({ version: '2023-03-06', events: { 'message.created': { conditions: { if: '{% data.customer.plan_type == "Business" %}' }, actions: [{ uses: 'assign_conversation', add: ['{{ data.customer.organization.role }}-desk'] }] } } }))
    const payload = join(dir, 'message2.json')
    await writeFile(payload, JSON.stringify(message))
    const run = await cli(['automate', '--switch', vip, '--event', 'message.created', '--payload', payload, '--connection', mock.url, '--secret', 'cli-secret', '--email', 'kelly@example.com', '--execute', '--json'])
    expect(JSON.parse(run.stdout).conversation.assignees).toEqual(['admin-desk'])
    const failing = await cli(['automate', '--switch', vip, '--event', 'message.created', '--payload', payload, '--connection', mock.url, '--secret', 'cli-secret', '--email', 'x@unavailable.test'])
    expect(failing.stdout).toMatch(/skipped message\.created — customer_unavailable \(http_status\)/)
  })

  it('evaluates scheduled actions due by --at, with a fake payload', async () => {
    const run = await cli(['automate', '--switch', fixturePath('examples/switch-scheduled-sla.json'), '--event', 'message.created', '--fake', '--at', '31 minutes', '--json'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).plan.handlers[0].scheduled[0].status).toMatch(/^(ran|skipped)$/)
  })

  it('rejects an invalid switch (exit 1, with pointers) and bad usage (exit 2)', async () => {
    const invalid = await cli(['automate', '--switch', fixturePath('switch/invalid/unknown-event.json'), '--event', 'message.created', '--fake'])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('/events/message.crated')
    expect((await cli(['automate', '--switch', fixturePath('examples/switch-label-urgent.json'), '--event', 'message.sent', '--fake'])).code).toBe(2)
    expect((await cli(['automate', '--switch', fixturePath('examples/switch-label-urgent.json'), '--event', 'message.created'])).stderr).toMatch(/exactly one of --payload/)
    expect((await cli(['automate', '--switch', fixturePath('examples/switch-scheduled-sla.json'), '--event', 'message.created', '--fake', '--at', 'later'])).code).toBe(2)
  })
})
