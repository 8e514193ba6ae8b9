import fc from 'fast-check'
import nock from 'nock'
import { afterEach, describe, expect, it } from 'vitest'
import { customerFromConnection, evaluate, executePlan, conversationFromPayload, parseDuration, Scheduler } from '../../src/automation/index.js'
import { startMock } from '../../src/mock/index.js'
import type { Switch } from '../../src/schema/index.js'
import { readFixture } from '../helpers.js'

const labelUrgent = readFixture('examples/switch-label-urgent.json') as Switch
const httpRequest = readFixture('examples/switch-http-request.json') as Switch
const scheduledSla = readFixture('examples/switch-scheduled-sla.json') as Switch
const T0 = new Date('2026-11-25T10:00:00Z')

const message = (over: Record<string, unknown> = {}) => ({
  id: 'msg_1',
  conversation: { id: 'conv_1', labels: ['triage'], assignees: ['sam'] },
  author: { name: 'Sam Agent' },
  visibility: 'internal',
  text_content: 'please @label add urgent',
  created_by_membership: { id: 'mem_1' },
  is_awaiting_response: true,
  ...over,
})

afterEach(() => nock.cleanAll())

describe('the example switches', () => {
  it.each([
    ['an internal note asking for the label', message(), 'ran', ['triage', 'bug.urgent']],
    ['a public message', message({ visibility: 'public' }), 'skipped', ['triage']],
    ['an internal note without the command', message({ text_content: 'hello' }), 'skipped', ['triage']],
  ])('switch-label-urgent: %s', async (_name, payload, status, labels) => {
    const plan = await evaluate(labelUrgent, { event: 'message.created', payload, now: T0 })
    expect(plan.handlers).toHaveLength(1)
    const handler = plan.handlers[0]!
    expect(handler.status).toBe(status)
    expect(handler.conditions[0]).toMatchObject({ which: 'if', value: status === 'ran', passed: status === 'ran' })
    if (status === 'skipped') expect(handler.skipped).toMatchObject({ reason: 'conditions_false' })
    const executed = await executePlan(plan, { conversation: conversationFromPayload('message.created', payload) })
    expect(executed.conversation.labels).toEqual(labels)
  })

  it('switch-http-request renders the body and sends it with its headers', async () => {
    const plan = await evaluate(httpRequest, { event: 'message.created', payload: { yetto: { message: message({ id: 'msg_42' }) } }, now: T0 })
    const action = plan.handlers[0]!.actions[0]!
    expect(action).toMatchObject({ uses: 'http_request', name: 'Send to server', url: 'https://norse.org/', method: 'POST', headers: { 'RECEIVER-HEADER': 'expected_value' }, body: { message_id: 'msg_42' } })
    let received: unknown
    nock('https://norse.org', { reqheaders: { 'receiver-header': 'expected_value' } })
      .post('/', (body) => ((received = body), true))
      .reply(202)
    // nock cannot model DNS: the host resolves to a public address, as norse.org does.
    const executed = await executePlan(plan, { conversation: { labels: [], assignees: [] }, resolveHost: async () => ['93.184.216.34'] })
    expect(received).toEqual({ message_id: 'msg_42' })
    expect(executed.requests).toEqual([expect.objectContaining({ name: 'Send to server', method: 'POST', url: 'https://norse.org/', status: 202, ok: true })])
  })

  it('switch-scheduled-sla waits 30 minutes, then checks the condition as it is then', async () => {
    const pending = await evaluate(scheduledSla, { event: 'message.created', payload: message(), now: T0 })
    expect(pending.handlers[0]!.scheduled).toEqual([expect.objectContaining({ after: '30 minutes', delayMs: 1_800_000, dueAt: '2026-11-25T10:30:00.000Z', status: 'pending' })])
    const due = await evaluate(scheduledSla, { event: 'message.created', payload: message(), now: T0, at: new Date('2026-11-25T10:31:00Z') })
    expect(due.handlers[0]!.scheduled[0]).toMatchObject({ status: 'ran', actions: [{ uses: 'apply_labels', add: ['sla.respond_now'] }] })
    const answered = await evaluate(scheduledSla, { event: 'message.created', payload: message({ is_awaiting_response: false }), now: T0, at: new Date('2026-11-25T10:31:00Z') })
    expect(answered.handlers[0]!.scheduled[0]).toMatchObject({ status: 'skipped', skipped: { reason: 'conditions_false' } })
    const executed = await executePlan(due, { conversation: { labels: [], assignees: [] } })
    expect(executed.conversation.labels).toEqual(['sla.respond_now'])
  })
})

describe('switches on data.customer', () => {
  const vip: Switch = {
    version: '2023-03-06',
    events: {
      'conversation.*': {
        conditions: { if: '{% data.customer.organization.role == "admin" and data.customer.seats > 50 and data.customer.tags contains "vip" %}' },
        actions: [
          { uses: 'apply_labels', add: ['vip', 'plan-{{ data.customer.plan_type | downcase }}'], remove: ['triage'] },
          { uses: 'assign_conversation', remove: '*', add: ['enterprise-team'] },
        ],
      },
      'message.created': { actions: [{ uses: 'apply_labels', add: ['never'] }] },
    },
  }
  const conversation = { id: 'conv_1', inbox: { id: 'i' }, title: 'Help', state: 'open', html_url: 'https://x.example/c', labels: ['triage'], assignees: ['sam', 'kim'] }
  const customer = { organization: { role: 'admin' }, seats: 120, tags: ['vip', 'beta'], plan_type: 'Enterprise' }

  it('matches the group wildcard, renders Liquid in labels, and replaces assignees (remove first)', async () => {
    const plan = await evaluate(vip, { event: 'conversation.labeled', payload: conversation, customer, now: T0 })
    expect(plan.unmatched).toEqual(['message.created'])
    expect(plan.customer).toEqual({ status: 'provided' })
    expect(plan.handlers[0]).toMatchObject({ pattern: 'conversation.*', status: 'ran', conditions: [{ value: true, passed: true }] })
    const executed = await executePlan(plan, { conversation: conversationFromPayload('conversation.labeled', conversation) })
    expect(executed.conversation).toEqual({ labels: ['vip', 'plan-enterprise'], assignees: ['enterprise-team'] })
  })

  it.each([
    ['a member', { ...customer, organization: { role: 'member' } }],
    ['a small account', { ...customer, seats: 50 }],
    ['no vip tag', { ...customer, tags: ['beta'] }],
    ['missing fields', {}],
  ])('does not run for %s', async (_name, data) => {
    const plan = await evaluate(vip, { event: 'conversation.created', payload: conversation, customer: data, now: T0 })
    expect(plan.handlers[0]).toMatchObject({ status: 'skipped', skipped: { reason: 'conditions_false' } })
  })

  it('is skipped with the failure kind when the customer connection fails — never run on missing data', async () => {
    const mock = await startMock({ port: 0, secret: 's', scenario: 'status:503' })
    try {
      const source = customerFromConnection({ url: mock.url, secret: 's' }, { inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email: 'kelly@example.com' } })
      const plan = await evaluate(vip, { event: 'conversation.created', payload: conversation, customer: source, now: T0 })
      expect(plan.customer).toMatchObject({ status: 'failed', kind: 'http_status' })
      expect(plan.handlers[0]).toMatchObject({ status: 'skipped', skipped: { reason: 'customer_unavailable', kind: 'http_status' }, actions: [] })
      expect((await executePlan(plan, { conversation: conversationFromPayload('conversation.created', conversation) })).conversation).toEqual({ labels: ['triage'], assignees: ['sam', 'kim'] })
      expect(mock.app.ckitMock.journal.list()[0]).toMatchObject({ context: { reason: 'automation' } })
    } finally {
      await mock.close()
    }
  })

  it('fetches the customer through the connection when it works, and only when needed', async () => {
    const mock = await startMock({ port: 0, secret: 's' })
    try {
      const source = customerFromConnection({ url: mock.url, secret: 's' }, { inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email: 'kelly@example.com' } })
      const plan = await evaluate(vip, { event: 'conversation.created', payload: conversation, customer: source, now: T0 })
      expect(plan.customer).toEqual({ status: 'fetched' })
      expect(plan.handlers[0]!.conditions[0]!.value).toBe(false) // Kelly has 42 seats
      const noCustomer = await evaluate(labelUrgent, { event: 'message.created', payload: message(), customer: source, now: T0 })
      expect(noCustomer.customer).toEqual({ status: 'not_needed' })
      expect(mock.app.ckitMock.journal.size).toBe(1)
    } finally {
      await mock.close()
    }
  })
})

describe('scheduler with an injected clock', () => {
  it('fires when due and re-evaluates the conditions against the payload as it is then', async () => {
    let now = T0.getTime()
    const scheduler = new Scheduler({ clock: { now: () => now } })
    let payload = message()
    expect(scheduler.schedule(scheduledSla, { event: 'message.created', payload: () => payload })).toBe(1)
    expect(scheduler.pending()).toEqual([{ pattern: 'message.created', index: 0, after: '30 minutes', dueAt: '2026-11-25T10:30:00.000Z' }])
    now += 29 * 60_000
    expect(await scheduler.runDue()).toEqual([])
    payload = message({ is_awaiting_response: false }) // the agent answered in the meantime
    now += 60_000
    const fired = await scheduler.runDue()
    expect(fired).toEqual([expect.objectContaining({ status: 'skipped', skipped: expect.objectContaining({ reason: 'conditions_false' }) })])
    expect(scheduler.pending()).toEqual([])
  })
})

describe('errors', () => {
  it('rejects an invalid switch and an unknown event with clear messages', async () => {
    await expect(evaluate({ version: '2023-03-06', events: { 'message.crated': { actions: [{ uses: 'apply_labels', add: ['x'] }] } } }, { event: 'message.created', payload: {} })).rejects.toMatchObject({
      code: 'CKIT_AUTOMATION_INVALID_SWITCH',
      message: expect.stringContaining('/events/message.crated'),
    })
    await expect(evaluate(labelUrgent, { event: 'message.sent', payload: {} })).rejects.toMatchObject({ code: 'CKIT_AUTOMATION_UNKNOWN_EVENT' })
  })

  it('reports a condition that is not a single expression as condition_error', async () => {
    const sneaky: Switch = { version: '2023-03-06', events: { 'message.created': { conditions: { if: '{% true %}{% for i in (1..9) %}{% endfor %}{% if true %}' }, actions: [{ uses: 'apply_labels', add: ['x'] }] } } }
    const plan = await evaluate(sneaky, { event: 'message.created', payload: message() })
    expect(plan.handlers[0]).toMatchObject({ status: 'skipped', skipped: { reason: 'condition_error' } })
  })

  it('parses the documented durations and names a bad one', () => {
    expect(parseDuration('30 minutes')).toBe(1_800_000)
    expect(parseDuration('2 hours')).toBe(7_200_000)
    expect(parseDuration('1 day')).toBe(86_400_000)
    expect(() => parseDuration('half an hour')).toThrow(expect.objectContaining({ code: 'CKIT_AUTOMATION_BAD_DURATION' }))
  })
})

describe('evaluate (property)', () => {
  it('never throws on arbitrary payloads and customer data', async () => {
    const customerSwitch: Switch = {
      version: '2023-03-06',
      events: {
        'message.*': {
          conditions: { if: '{% data.yetto.message.visibility == "internal" or data.customer.seats > 3 %}', unless: '{% data.customer.tags contains "x" %}' },
          actions: [
            { uses: 'apply_labels', add: ['{{ data.customer.plan }}', 'l-{{ data.yetto.message.id }}'] },
            { uses: 'http_request', to: { url: 'https://h.example/{{ data.customer.id }}' }, with: { method: 'POST', body: { a: '{{ data.yetto.message.text_content | upcase }}', n: 1 } } },
          ],
          scheduled: [{ after: '1 minute', conditions: { if: '{% data.yetto.message.is_awaiting_response %}' }, actions: [{ uses: 'assign_conversation', remove: '*' }] }],
        },
      },
    }
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('plan', 'seats', 'tags', 'id', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 2 })), async (payload, customer) => {
        const plan = await evaluate(customerSwitch, { event: 'message.updated', payload, customer, now: T0, at: new Date(T0.getTime() + 120_000) })
        expect(plan.handlers).toHaveLength(1)
        await evaluate(labelUrgent, { event: 'message.created', payload })
      }),
      { numRuns: 200 },
    )
  })
})

describe('customer fetches', () => {
  it('happen at most once per evaluation, scheduled entries due by `at` included', async () => {
    const both: Switch = {
      version: '2023-03-06',
      events: {
        'message.created': {
          conditions: { if: '{% data.customer.plan == "pro" %}' },
          actions: [{ uses: 'apply_labels', add: ['pro'] }],
          scheduled: [{ after: '5 minutes', conditions: { if: '{% data.customer.plan == "pro" %}' }, actions: [{ uses: 'apply_labels', add: ['pro-followup'] }] }],
        },
      },
    }
    let fetches = 0
    const source = async () => ((fetches += 1), { ok: true as const, customer: { plan: 'pro' } })
    const plan = await evaluate(both, { event: 'message.created', payload: message(), customer: source, now: T0, at: new Date(T0.getTime() + 10 * 60_000) })
    expect(plan.handlers[0]).toMatchObject({ status: 'ran', scheduled: [{ status: 'ran' }] })
    expect(fetches).toBe(1)
  })
})
