import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { evaluate, executePlan, isNonPublicAddress, Scheduler, type CustomerLookup, type FiredPlans } from '../../src/automation/index.js'
import type { Switch } from '../../src/schema/index.js'
import { cli } from '../helpers.js'

/** A hostile switch author, or a hostile customer record read by an honest switch. */
const T0 = new Date('2026-11-25T10:00:00Z')
const message = { id: 'msg_1', conversation: { id: 'conv_1' }, author: { name: 'A' }, visibility: 'public', text_content: 'hi', created_by_membership: { id: 'm' } }
const post = (url: string, extra: Record<string, unknown> = {}): Switch =>
  ({ version: '2023-03-06', events: { 'message.created': { actions: [{ uses: 'http_request', to: { url }, with: { method: 'POST', body: { ok: true } }, ...extra }] } } }) as Switch
const plannedUrl = async (url: string, customer: Record<string, unknown>) => {
  const plan = await evaluate(post(url), { event: 'message.created', payload: { yetto: { message } }, customer, now: T0 })
  return plan.handlers[0]!.actions[0] as { url: string; error?: string }
}

afterEach(() => nock.cleanAll())
/** nock answers the request but cannot model DNS: names resolve to a documentation-free public address. */
const publicDns = async () => ['93.184.216.34']

describe('customer data cannot steer an http_request', () => {
  it('percent-encodes a value as the URL part it lands in: no path traversal, no new query, no fragment', async () => {
    const action = await plannedUrl('https://api.example.com/customers/{{ data.customer.id }}/notify?v={{ data.customer.v }}', { id: '../../admin/delete?confirm=yes#', v: 'a&admin=1' })
    expect(action.error).toBeUndefined()
    expect(action.url).toBe('https://api.example.com/customers/..%2F..%2Fadmin%2Fdelete%3Fconfirm%3Dyes%23/notify?v=a%26admin%3D1')
    let path = ''
    nock('https://api.example.com')
      .post((uri) => ((path = uri), true))
      .reply(200)
    const plan = await evaluate(post('https://api.example.com/customers/{{ data.customer.id }}/notify'), { event: 'message.created', payload: { yetto: { message } }, customer: { id: '../../admin/delete?confirm=yes#' }, now: T0 })
    const executed = await executePlan(plan, { conversation: { labels: [], assignees: [] }, resolveHost: publicDns })
    expect(executed.requests[0]).toMatchObject({ ok: true })
    expect(path).toBe('/customers/..%2F..%2Fadmin%2Fdelete%3Fconfirm%3Dyes%23/notify')
  })

  it.each([
    ['a templated host', 'https://{{ data.customer.host }}/hook'],
    ['a value right after the host', 'https://api.example.com{{ data.customer.suffix }}'],
    ['a templated port', 'https://api.example.com:{{ data.customer.port }}/x'],
    ['a templated scheme', '{{ data.customer.scheme }}://api.example.com/x'],
    ['a whole templated URL', '{{ data.customer.url }}'],
  ])('refuses %s: scheme, host and port must be literal', async (_name, url) => {
    const action = await plannedUrl(url, { host: 'evil.example', suffix: '.evil.example', port: '8080', scheme: 'http', url: 'https://evil.example' })
    expect(action.error).toMatch(/to\/url: the URL must start with literal text/)
  })

  it('keeps a value that looks like credentials or a host inside its part', async () => {
    expect((await plannedUrl('https://api.example.com/{{ data.customer.x }}', { x: '@evil.example/' })).url).toBe('https://api.example.com/%40evil.example%2F')
    expect((await plannedUrl('https://api.example.com/{{ data.customer.x }}', { x: '\ud800' })).url).toBe('https://api.example.com/%EF%BF%BD')
  })

  it('has no raw filter to opt out of encoding', async () => {
    expect((await plannedUrl('https://api.example.com/{{ data.customer.x | raw }}', { x: '../x' })).error).toMatch(/raw/)
  })
})

describe('private networks are refused unless allowed', () => {
  let server: Server
  let port: number
  let hits = 0
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++
      res.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  it.each(['http://127.0.0.1:PORT/hook', 'http://localhost:PORT/hook', 'http://[::ffff:127.0.0.1]:PORT/hook', 'http://[::ffff:7f00:1]:PORT/hook'])('%s is refused, then allowed with allowPrivateNetwork', async (template) => {
    const url = template.replace('PORT', String(port))
    const plan = await evaluate(post(url), { event: 'message.created', payload: { yetto: { message } }, now: T0 })
    const before = hits
    const refused = await executePlan(plan, { conversation: { labels: [], assignees: [] } })
    expect(refused.requests[0]).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/not a public address/) })
    expect(hits).toBe(before)
    if (url.includes('::ffff')) return
    const allowed = await executePlan(plan, { conversation: { labels: [], assignees: [] }, allowPrivateNetwork: true })
    expect(allowed.requests[0]).toMatchObject({ ok: true, status: 200 })
  })

  it('refuses a name whose DNS answer is private (the check is in the connection\'s own lookup)', async () => {
    const plan = await evaluate(post(`http://rebind.example:${port}/hook`), { event: 'message.created', payload: { yetto: { message } }, now: T0 })
    const executed = await executePlan(plan, { conversation: { labels: [], assignees: [] }, resolveHost: async () => ['93.184.216.34', '127.0.0.1'] })
    expect(executed.requests[0]).toMatchObject({ ok: false, error: expect.stringMatching(/rebind.example resolves to 127.0.0.1/) })
  })

  it('knows the non-public ranges', () => {
    for (const address of ['10.1.2.3', '172.31.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '64:ff9b::a00:1']) expect(isNonPublicAddress(address), address).toBe(true)
    for (const address of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', 'example.com']) expect(isNonPublicAddress(address), address).toBe(false)
  })

  it('caps the requests of one plan and gives them one time budget', async () => {
    const three: Switch = {
      version: '2023-03-06',
      events: { 'message.created': { actions: [0, 1, 2].map((i) => ({ uses: 'http_request', to: { url: `http://127.0.0.1:${port}/${i}` }, with: { method: 'GET' } })) as never } },
    }
    const plan = await evaluate(three, { event: 'message.created', payload: { yetto: { message } }, now: T0 })
    const capped = await executePlan(plan, { conversation: { labels: [], assignees: [] }, allowPrivateNetwork: true, maxRequests: 2 })
    expect(capped.requests).toHaveLength(2)
    expect(capped.notRun).toEqual([expect.objectContaining({ action: 2, reason: expect.stringMatching(/maxRequests/) })])
    await expect(executePlan(plan, { conversation: { labels: [], assignees: [] }, budgetMs: Number.NaN })).rejects.toMatchObject({ code: 'CKIT_AUTOMATION_INVALID_OPTION' })
  })

  it('ckit automate --execute refuses loopback without --allow-private-network', async () => {
    const switchFile = `${process.env['TMPDIR'] ?? '/tmp'}/ckit-private-${process.pid}.json`
    const { writeFileSync } = await import('node:fs')
    writeFileSync(switchFile, JSON.stringify(post(`http://127.0.0.1:${port}/hook`)))
    const refused = await cli(['automate', '--switch', switchFile, '--event', 'message.created', '--fake', '--execute', '--json'])
    expect(JSON.parse(refused.stdout).requests[0]).toMatchObject({ ok: false, error: expect.stringMatching(/not a public address/) })
    const allowed = await cli(['automate', '--switch', switchFile, '--event', 'message.created', '--fake', '--execute', '--json', '--allow-private-network'])
    expect(JSON.parse(allowed.stdout).requests[0]).toMatchObject({ ok: true })
  })
})

describe('fresh customer data cannot be sidestepped', () => {
  const failing = async (): Promise<CustomerLookup> => ({ ok: false, kind: 'timeout', message: 'no answer within 3000 ms' })
  it.each([
    ['data["customer"].vip', { if: '{% data["customer"].vip %}' }, ['x']],
    ["data['customer'] in an action", undefined, ['{{ data[\'customer\'].plan }}']],
    ['an assigned alias of data', undefined, ['{% assign d = data %}{{ d.customer.plan }}']],
    ['a computed key', undefined, ['{% assign k = "customer" %}{{ data[k].plan }}']],
  ])('%s needs the customer: the part is skipped when the connection fails', async (_name, conditions, add) => {
    const doc = { version: '2023-03-06', events: { 'message.created': { ...(conditions ? { conditions } : {}), actions: [{ uses: 'apply_labels', add }] } } }
    const plan = await evaluate(doc, { event: 'message.created', payload: { yetto: { message } }, customer: failing, now: T0 })
    expect(plan.handlers[0]).toMatchObject({ status: 'skipped', skipped: { reason: 'customer_unavailable', kind: 'timeout' } })
  })

  it('a part that reads only data.yetto does not fetch the customer', async () => {
    const doc = { version: '2023-03-06', events: { 'message.created': { conditions: { if: '{% data.yetto.message.visibility == "public" %}' }, actions: [{ uses: 'apply_labels', add: ['customer-facing'] }] } } }
    const plan = await evaluate(doc, { event: 'message.created', payload: { yetto: { message } }, customer: failing, now: T0 })
    expect(plan).toMatchObject({ customer: { status: 'not_needed' }, handlers: [{ status: 'ran' }] })
  })
})

describe('switch limits', () => {
  it('caps actions per part and the delay of scheduled actions, with pointers', async () => {
    const many = { version: '2023-03-06', events: { 'message.created': { actions: Array.from({ length: 21 }, () => ({ uses: 'apply_labels', add: ['x'] })) } } }
    await expect(evaluate(many, { event: 'message.created', payload: message })).rejects.toMatchObject({ code: 'CKIT_AUTOMATION_INVALID_SWITCH', message: expect.stringMatching(/\/events\/message.created\/actions: /) })
    const late = { version: '2023-03-06', events: { 'message.created': { scheduled: [{ after: '9999 weeks', actions: [{ uses: 'apply_labels', add: ['x'] }] }] } } }
    await expect(evaluate(late, { event: 'message.created', payload: message })).rejects.toMatchObject({ code: 'CKIT_AUTOMATION_INVALID_SWITCH', message: expect.stringMatching(/scheduled\/0\/after: .*90 days/) })
  })
})

describe('the scheduler survives long delays and failing callbacks', () => {
  const later = (after: string, label = 'x'): Switch => ({ version: '2023-03-06', events: { 'message.created': { scheduled: [{ after, actions: [{ uses: 'apply_labels', add: [label] }] }] } } }) as Switch
  afterEach(() => {
    vi.useRealTimers()
  })

  it('waits 5 weeks without spinning: timers are clamped below the setTimeout overflow', async () => {
    vi.useFakeTimers({ now: T0 })
    const scheduler = new Scheduler()
    scheduler.schedule(later('5 weeks'), { event: 'message.created', payload: message })
    const fired: FiredPlans[] = []
    scheduler.start((plans) => void fired.push(plans))
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fired).toEqual([])
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(5 * 7 * 86_400_000)
    expect(fired).toHaveLength(1)
    expect(fired[0]![0]).toMatchObject({ status: 'ran', after: '5 weeks' })
    scheduler.stop()
  })

  it('reports a throwing onFired and keeps firing later entries', async () => {
    vi.useFakeTimers({ now: T0 })
    const scheduler = new Scheduler()
    scheduler.schedule(later('1 minute', 'first'), { event: 'message.created', payload: message })
    scheduler.schedule(later('2 minutes', 'second'), { event: 'message.created', payload: message })
    const errors: unknown[] = []
    const seen: string[] = []
    scheduler.start(
      (plans) => {
        const label = (plans[0]!.actions[0] as unknown as { add: string[] }).add[0]!
        seen.push(label)
        if (label === 'first') throw new Error('the help desk is down')
      },
      { onError: (error) => errors.push(error) },
    )
    await vi.advanceTimersByTimeAsync(3 * 60_000)
    expect(seen).toEqual(['first', 'second'])
    expect(errors).toEqual([expect.objectContaining({ message: 'the help desk is down' })])
  })

  it('validates switches in schedule(): a huge after is a typed error, not a RangeError', () => {
    const scheduler = new Scheduler()
    expect(() => scheduler.schedule(later('9999 weeks'), { event: 'message.created', payload: message })).toThrow(expect.objectContaining({ code: 'CKIT_AUTOMATION_INVALID_SWITCH' }))
    expect(() => scheduler.schedule(later('99999999999999 weeks'), { event: 'message.created', payload: message })).toThrow(expect.objectContaining({ code: 'CKIT_AUTOMATION_INVALID_SWITCH' }))
    expect(scheduler.pending()).toEqual([])
  })
})
