import { CkitError } from '../../errors.js'
import type { Plan } from '../../automation/index.js'
import { validateText } from '../../schema/index.js'
import { terminalSafe } from '../../render/text.js'
import { HELP_DESK_LIMITS } from '../../http/limits.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { issueLines } from '../format.js'
import { printJson, readInput, type Io } from '../io.js'
import { emailOption, timeoutOption, wholeNumberOption } from '../parse.js'
import { SECRET_ENV } from './sign.js'

async function readJsonInput(io: Io, file: string, kind: 'switch' | 'webhook' | undefined, what: string): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const { bytes, name } = await readInput(io, file)
  if (kind) {
    const checked = validateText(bytes, kind, { strict: true })
    if (!checked.valid) {
      io.stderr.write(`${name}: invalid ${what}\n${issueLines('error', checked.errors)}`)
      return { ok: false }
    }
    return { ok: true, value: checked.value }
  }
  const { parseJson } = await import('../../schema/index.js')
  const parsed = parseJson(bytes)
  if (!parsed.ok) {
    const { message, line, column, frame, hint } = parsed.error
    io.stderr.write(`${name}: ${what} is not JSON\n${issueLines('error', [{ pointer: '', keyword: 'json', message, line, column, ...(frame ? { frame } : {}), ...(hint ? { hint } : {}) }])}`)
    return { ok: false }
  }
  return { ok: true, value: parsed.value }
}

/**
 * The payload checked against the event's envelope, as a receiver would (bare objects are
 * wrapped first). A bare object that fits another event's object is named as such: sending a
 * conversation as message.created is the usual slip.
 */
async function payloadProblems(event: string, payload: unknown): Promise<string | undefined> {
  const { eventCatalogue, validate } = await import('../../schema/index.js')
  const key = eventCatalogue().get(event)!
  const isEnvelope = payload !== null && typeof payload === 'object' && !Array.isArray(payload) && Object.hasOwn(payload, 'yetto')
  const envelope = isEnvelope ? payload : { yetto: { [key]: payload } }
  const checked = validate('webhook', envelope, { event })
  if (checked.valid) return undefined
  let hint = ''
  if (!isEnvelope) {
    const fits = [...new Set(eventCatalogue().values())].find((other) => other !== key && validate('webhook', { yetto: { [other]: payload } }).valid)
    if (fits) hint = `  hint     this is a ${fits.replace(/_/g, ' ')} object, but ${event} carries a ${key.replace(/_/g, ' ')}: pick a ${fits.split('_')[0]}.* event or send the ${key.replace(/_/g, ' ')}\n`
  }
  const pointers = isEnvelope ? checked.errors : checked.errors.map((e) => ({ ...e, pointer: e.pointer.replace(new RegExp(`^/yetto/${key}`), '') }))
  return issueLines('error', pointers) + hint
}

/** --at: an ISO time, or a duration after the event ("31 minutes"). */
async function resolveAt(text: string | undefined, occurredAt: Date): Promise<Date | undefined> {
  if (text === undefined) return undefined
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text)
  const { parseDuration } = await import('../../automation/index.js')
  try {
    return new Date(occurredAt.getTime() + parseDuration(text))
  } catch {
    throw new CkitError('CKIT_CLI_USAGE', `--at must be an ISO time (2026-11-25T10:30:00Z) or a duration after the event ("31 minutes"), instead got ${JSON.stringify(text)}`)
  }
}

function describePlan(plan: Plan): string {
  const lines = [`event ${plan.event} at ${plan.occurredAt}${plan.evaluatedAt !== plan.occurredAt ? `, evaluated as of ${plan.evaluatedAt}` : ''}`]
  if (plan.customer.status !== 'not_needed') lines.push(`customer data: ${plan.customer.status}${plan.customer.kind ? ` (${plan.customer.kind}: ${plan.customer.message})` : ''}`)
  const describeActions = (actions: Plan['handlers'][number]['actions'], indent: string) => {
    for (const a of actions) {
      const label = a.name ? ` "${a.name}"` : ''
      const what = a.uses === 'http_request' ? `${a.method} ${a.url} ${JSON.stringify(a.body)}` : `${a.remove === '*' ? 'remove all' : a.remove.length ? `remove ${a.remove.join(', ')}` : ''}${a.add.length ? `${a.remove === '*' || a.remove.length ? ', ' : ''}add ${a.add.join(', ')}` : ''}`
      lines.push(`${indent}${a.index + 1}. ${a.uses}${label}: ${what}${a.error ? ` — not run: ${a.error}` : ''}`)
    }
  }
  for (const h of plan.handlers) {
    lines.push(`${h.status === 'ran' ? 'ran    ' : 'skipped'} ${h.pattern}${h.skipped ? ` — ${h.skipped.reason}${h.skipped.kind ? ` (${h.skipped.kind})` : ''}: ${h.skipped.message}` : ''}`)
    for (const c of h.conditions) lines.push(`    ${c.which} ${c.expression} → ${c.error ? `error: ${c.error}` : c.value}`)
    describeActions(h.actions, '    ')
    for (const s of h.scheduled) {
      lines.push(`    scheduled ${s.index + 1}: after ${s.after}, due ${s.dueAt}: ${s.status}${s.skipped ? ` — ${s.skipped.reason}: ${s.skipped.message}` : ''}`)
      for (const c of s.conditions) lines.push(`        ${c.which} ${c.expression} → ${c.error ? `error: ${c.error}` : c.value}`)
      describeActions(s.actions, '        ')
    }
  }
  for (const pattern of plan.unmatched) lines.push(`not matched ${pattern}`)
  return `${lines.join('\n')}\n`
}

interface AutomateOptions {
  readonly switch: string
  readonly event: string
  readonly payload?: string
  readonly fake?: true
  readonly seed?: number
  readonly customer?: string
  readonly connection?: string
  readonly secret?: string
  readonly email?: string
  readonly timeout?: number
  readonly at?: string
  readonly execute?: true
  readonly allowPrivateNetwork?: true
  readonly json?: true
}

export const automateCommand: CommandSpec<AutomateOptions> = {
  name: 'automate',
  summary: 'evaluate a switch (automation) for an event: matched handlers, condition verdicts, rendered actions; --execute runs them',
  examples: [
    'ckit automate --switch node_modules/connection-kit/examples/switches/label-urgent.json --event message.created --fake',
    'ckit automate --switch sla.json --event message.created --payload message.json --at "31 minutes" --execute --json',
    'ckit automate --switch vip.json --event conversation.created --payload conv.json --connection http://127.0.0.1:4010/ --secret ckit-mock-secret --email kelly@example.com',
  ],
  exitCodes: { ok: 'evaluated (skipped handlers included)', problems: 'invalid switch or payload', usage: 'usage error', remote: '--execute and an http_request failed' },
  define: (command) =>
    command
      .requiredOption('--switch <file>', 'switch JSON (version 2023-03-06)')
      .requiredOption('--event <name>', 'event name, e.g. message.created')
      .option('--payload <file>', "the event's object, bare or inside { \"yetto\": … } (- for standard input)")
      .option('--fake', 'generate a realistic payload for the event instead of --payload')
      .option('--seed <n>', 'seed for --fake (a whole number)', wholeNumberOption('--seed', 0, 2 ** 31 - 1))
      .option('--customer <file>', 'customer data (data.customer) as JSON')
      .option('--connection <url>', 'fetch data.customer from this customer connection at evaluation time')
      .option('--secret <secret>', `with --connection: signing secret (default $${SECRET_ENV})`)
      .option('--email <email>', 'with --connection: requester e-mail', emailOption('--email'))
      .option('--timeout <ms>', `with --connection: budget (default ${HELP_DESK_LIMITS.answerBudgetMs})`, timeoutOption)
      .option('--at <time>', 'evaluate as of this time (ISO, or a duration after the event such as "31 minutes"): scheduled actions due by then run')
      .option('--execute', 'perform the actions: labels and assignees on an in-memory conversation, http_request for real')
      .option('--allow-private-network', 'with --execute: let http_request actions reach loopback, private and link-local addresses (refused by default)')
      .option('--json', 'print one JSON document: { plan } or, with --execute, { plan, conversation, requests, notRun }'),
  async run(_args, options, io) {
    if ((options.payload === undefined) === (options.fake === undefined)) throw new CkitError('CKIT_CLI_USAGE', 'give exactly one of --payload <file> or --fake')
    if (options.customer !== undefined && options.connection !== undefined) throw new CkitError('CKIT_CLI_USAGE', 'give --customer or --connection, not both')
    const { evaluate, executePlan, conversationFromPayload, customerFromConnection } = await import('../../automation/index.js')
    const { eventCatalogue } = await import('../../schema/index.js')
    const event = options.event
    if (!eventCatalogue().has(event)) throw new CkitError('CKIT_CLI_USAGE', `--event ${JSON.stringify(event)} is not a known event; known: ${[...eventCatalogue().keys()].join(', ')}`)
    const switchDoc = await readJsonInput(io, options.switch, 'switch', 'switch')
    if (!switchDoc.ok) return EXIT.problems
    let payload: unknown
    if (options.payload === undefined) {
      const { fakePayload } = await import('../../fake/index.js')
      payload = await fakePayload(event, options.seed ?? 1)
    } else {
      const read = await readJsonInput(io, options.payload, undefined, 'payload')
      if (!read.ok) return EXIT.problems
      const problems = await payloadProblems(event, read.value)
      if (problems) {
        io.stderr.write(`${options.payload}: invalid payload for ${event}\n${problems}`)
        return EXIT.problems
      }
      payload = read.value
    }
    let customer
    if (options.customer !== undefined) {
      const read = await readJsonInput(io, options.customer, undefined, 'customer data')
      if (!read.ok) return EXIT.problems
      if (read.value === null || typeof read.value !== 'object' || Array.isArray(read.value)) {
        io.stderr.write(`${options.customer}: customer data must be a JSON object\n`)
        return EXIT.problems
      }
      customer = read.value as Record<string, unknown>
    } else if (options.connection !== undefined) {
      const secret = options.secret ?? io.env[SECRET_ENV]
      if (!secret || !options.email) throw new CkitError('CKIT_CLI_USAGE', `--connection needs --email and a secret (--secret or $${SECRET_ENV})`)
      customer = customerFromConnection(
        { url: options.connection, secret },
        { inbox: { slug: 'support' }, conversation: { id: 'automation' }, requester: { email: options.email } },
        options.timeout ? { timeoutMs: options.timeout } : {},
      )
    }
    const occurredAt = new Date()
    const at = await resolveAt(options.at, occurredAt)
    const plan = await evaluate(switchDoc.value, { event, payload, now: occurredAt, ...(at ? { at } : {}), ...(customer === undefined ? {} : { customer }) })
    if (!options.execute) {
      if (options.json) printJson(io, { plan })
      else io.stdout.write(terminalSafe(describePlan(plan)))
      return EXIT.ok
    }
    const executed = await executePlan(plan, { conversation: conversationFromPayload(event, payload), allowPrivateNetwork: options.allowPrivateNetwork === true })
    if (options.json) {
      printJson(io, { plan, ...executed })
    } else {
      const report = [
        describePlan(plan),
        `conversation after: labels [${executed.conversation.labels.join(', ')}], assignees [${executed.conversation.assignees.join(', ')}]\n`,
        ...executed.requests.map((r) => `request ${r.method} ${r.url} → ${r.status ?? 'no answer'}${r.error ? ` (${r.error}${r.allowedBy ? '; --allow-private-network allows it' : ''})` : ''} in ${r.latencyMs} ms\n`),
      ]
      io.stdout.write(terminalSafe(report.join('')))
      for (const n of executed.notRun) io.stderr.write(`not run: ${n.pattern} action ${n.action + 1}: ${n.reason}\n`)
    }
    return executed.requests.some((r) => !r.ok) ? EXIT.remote : EXIT.ok
  },
}
