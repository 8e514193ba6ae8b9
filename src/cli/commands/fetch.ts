import { Option } from 'commander'
import { HELP_DESK_LIMITS } from '../../http/limits.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { isStyled, printJson, writeOutput } from '../io.js'
import { FAILURE_EXIT, FAILURE_EXIT_HELP } from '../remote.js'
import { emailOption, timeoutOption } from '../parse.js'
import { resolveSecret, SECRET_ENV } from './sign.js'

const FORMATS = ['text', 'html', 'json'] as const
const REASONS = ['conversation_viewed', 'refresh', 'automation'] as const

interface FetchOptions {
  readonly secret?: string
  readonly email: string
  readonly name?: string
  readonly reason: (typeof REASONS)[number]
  readonly inbox: string
  readonly conversation: string
  readonly format: (typeof FORMATS)[number]
  readonly json?: true
  readonly save?: string
  readonly timeout?: number
  readonly strict?: true
}

export const fetchCommand: CommandSpec<FetchOptions> = {
  name: 'fetch',
  summary: "ask a customer endpoint for a customer's data, as the help desk does, and show the sidebar or the failure",
  examples: ['ckit fetch http://127.0.0.1:4010/ --secret ckit-mock-secret --email kelly@example.com', 'ckit fetch https://crm.example.com/yetto --email kelly@example.com --format json --timeout 1500'],
  define: (command) =>
    command
      .argument('<url>', 'the configured connection URL (the path parameter is appended)')
      .option('--secret <secret>', `signing secret (default $${SECRET_ENV})`)
      .requiredOption('--email <email>', 'requester e-mail (the endpoint picks the customer by it)', emailOption('--email'))
      .option('--name <name>', 'requester name')
      .addOption(new Option('--reason <reason>', 'why the help desk asks').choices([...REASONS]).default('conversation_viewed'))
      .option('--inbox <slug>', 'inbox slug in the context', 'support')
      .option('--conversation <id>', 'conversation id in the context', 'conv_1')
      .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('text'))
      .option('--json', 'the same as --format json')
      .option('--save <file>', "write the endpoint's response, as received, to a file (when it was valid), for ckit validate or render")
      .option('--timeout <ms>', `budget for connect + headers + body (default ${HELP_DESK_LIMITS.answerBudgetMs})`, timeoutOption)
      .option('--strict', 'unknown section types, unknown properties and undefined variables fail the request')
      .addHelpText('after', `${FAILURE_EXIT_HELP}\n--format json prints the result: { ok, response, rendered, latencyMs } or { ok: false, error: { kind, message, status?, pointers? }, latencyMs }.`),
  async run([url], options, io) {
    const secret = resolveSecret(options, io)
    const [{ requestCustomerData, failureCardHtml }, { pageHtml, renderText, sidebarHtml }] = await Promise.all([import('../../client/index.js'), import('../../render/index.js')])
    const result = await requestCustomerData(
      { url: url!, secret },
      {
        reason: options.reason,
        requested_at: new Date().toISOString(),
        inbox: { slug: options.inbox },
        conversation: { id: options.conversation },
        requester: { email: options.email, ...(options.name ? { name: options.name } : {}) },
      },
      { ...(options.timeout ? { timeoutMs: options.timeout } : {}), strict: options.strict === true },
    )
    const format = options.json ? 'json' : (options.format)
    const save = options.save
    if (save !== undefined && result.ok) {
      await writeOutput(io, save, `${JSON.stringify(result.response, null, 2)}\n`)
      io.stderr.write(`saved the response to ${save}\n`)
    }
    if (format === 'json') {
      printJson(io, result)
    } else if (format === 'html') {
      const fragment = result.ok ? sidebarHtml(result.rendered) : failureCardHtml(result.error)
      io.stdout.write(pageHtml(fragment, { title: `Customer sidebar — ${options.email}` }))
    } else if (result.ok) {
      io.stdout.write(renderText(result.rendered, { styled: isStyled(io), issues: false }))
      for (const w of result.rendered.warnings) io.stderr.write(`warning ${w.pointer}: ${w.message}\n`)
      io.stderr.write(`answered in ${result.latencyMs} ms\n`)
    }
    if (!result.ok) {
      io.stderr.write(`error: ${result.error.kind}: ${result.error.message} (after ${result.latencyMs} ms)\n`)
      return FAILURE_EXIT[result.error.kind]
    }
    return EXIT.ok
  },
}
