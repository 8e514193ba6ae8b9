// Library hot paths an endpoint or help desk calls per request or event: evaluating a set of
// switches, and the signature helpers for requests and webhooks.
import { readFileSync } from 'node:fs'
import { Liquid, type Template } from 'liquidjs'
import { Bench } from 'tinybench'
import { evaluate } from '../src/automation/index.js'
import type { RequestContext } from '../src/schema/index.js'
import { buildSignedRequest, createRequestParser, createSigner, parseWebhook, signWebhook } from '../src/signature/index.js'

const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8')

/**
 * 100 switches on message.created, as a help desk with many automations has: conditions on the
 * message and on data.customer, labels and assignments rendered from both, some on other events.
 */
export function hundredSwitches(): unknown[] {
  const switches: unknown[] = []
  for (let i = 0; i < 100; i++) {
    const event = i % 10 === 9 ? 'conversation.created' : i % 5 === 4 ? 'message.*' : 'message.created'
    switches.push({
      version: '2023-03-06',
      events: {
        [event]: {
          conditions: {
            if: i % 2 === 0 ? `{% data.customer.plan == "plan-${i % 4}" and data.customer.seats > ${i} %}` : `{% data.yetto.message.visibility == "public" or data.customer.organization.role == "admin" %}`,
          },
          actions: [
            { uses: 'apply_labels', add: [`team-${i}`, '{{ data.customer.plan }}'] },
            { uses: 'assign_conversation', add: [`{{ data.customer.organization.name | downcase }}-${i}`] },
          ],
        },
      },
    })
  }
  return switches
}

export const SWITCHES_ANCHOR = 'anchor: raw liquidjs renders the same conditions and actions (parsed once)'

type SwitchDoc = { events: Record<string, { conditions: { if: string }; actions: { add: string[] }[] }> }

/**
 * The anchor: the Liquid work of the switches that apply to message.created (each condition as
 * `{% if … %}`, each action value), parsed once and rendered by liquidjs with none of our
 * sandboxing, limits or metering.
 */
function rawLiquidSwitches(switches: unknown[]): Template[][] {
  const liquid = new Liquid()
  const parts = (switches as SwitchDoc[]).flatMap((doc) => Object.entries(doc.events).filter(([event]) => event === 'message.created' || event === 'message.*').map(([, part]) => part))
  return parts.flatMap((part) => [
    liquid.parse(`{% if ${part.conditions.if.replace(/^\{%\s*|\s*%\}$/g, '')} %}yes{% endif %}`),
    ...part.actions.flatMap((action) => action.add.map((value) => liquid.parse(value))),
  ])
}

export async function run(): Promise<Bench> {
  const switches = hundredSwitches()
  const payload = JSON.parse(fixture('webhook/valid/message-created.json')) as unknown
  const customer = { id: 'cus_1', name: 'Kelly Customer', plan: 'plan-2', seats: 42, organization: { name: 'Acme', role: 'admin' } }
  const now = new Date('2026-11-25T10:00:00Z')
  const signer = createSigner('bench-secret')
  const context = JSON.parse(fixture('request-context/valid/conversation-viewed.json')) as RequestContext
  const parse = createRequestParser({ secret: signer, toleranceSeconds: Infinity })
  const webhook = JSON.parse(fixture('webhook/valid/message-created.json')) as unknown
  const raw = rawLiquidSwitches(switches)
  const liquid = new Liquid()
  const scope = { data: { yetto: (payload as { yetto: unknown }).yetto, customer } }
  let n = 0
  const bench = new Bench({ time: 1000, warmupTime: 200 })
  bench
    .add('evaluate 100 switches against one message.created event with customer data', async () => {
      for (const doc of switches) await evaluate(doc, { event: 'message.created', payload, customer, now })
    })
    .add(SWITCHES_ANCHOR, () => {
      for (const template of raw) liquid.renderSync(template, scope)
    })
    .add('sign a request (new requested_at), then verify and parse it', () => {
      const request = buildSignedRequest({ url: 'https://crm.example.com/yetto', secret: signer, context: { ...context, conversation: { id: `conv_${n++}` } } })
      const result = parse(`/yetto/${request.pathParameter}`, request.headers)
      if (!result.ok) throw new Error(result.message)
    })
    .add('sign a webhook, then verify and parse it', () => {
      const signed = signWebhook({ secret: signer, payload: webhook as never, event: 'message.created' })
      const result = parseWebhook({ secret: signer, body: signed.body, headers: signed.headers })
      if (!result.ok) throw new Error(result.message)
    })
  await bench.run()
  return bench
}
