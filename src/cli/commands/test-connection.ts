import { HELP_DESK_LIMITS } from '../../http/limits.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { printJson } from '../io.js'
import { FAILURE_EXIT, FAILURE_EXIT_HELP } from '../remote.js'
import { timeoutOption } from '../parse.js'
import { resolveSecret, SECRET_ENV } from './sign.js'

interface TestConnectionOptions {
  readonly secret?: string
  readonly timeout?: number
  readonly json?: true
}

export const testConnectionCommand: CommandSpec<TestConnectionOptions> = {
  name: 'test-connection',
  summary: `the set-up check (the help desk's Test button): a random challenge must come back within ${HELP_DESK_LIMITS.answerBudgetMs / 1000} s`,
  examples: ['ckit test-connection http://127.0.0.1:4010/ --secret ckit-mock-secret'],
  define: (command) =>
    command
      .argument('<url>', 'the connection URL to test')
      .option('--secret <secret>', `signing secret (default $${SECRET_ENV})`)
      .option('--timeout <ms>', `budget (default ${HELP_DESK_LIMITS.answerBudgetMs})`, timeoutOption)
      .option('--json', 'print { ok, latencyMs, error? } on stdout')
      .addHelpText('after', FAILURE_EXIT_HELP),
  async run([url], options, io) {
    const secret = resolveSecret(options, io)
    const { testConnection } = await import('../../client/index.js')
    const result = await testConnection({ url: url!, secret }, options.timeout ? { timeoutMs: options.timeout } : {})
    if (options.json) printJson(io, result)
    if (result.ok) {
      if (!options.json) io.stdout.write(`ok: the endpoint echoed the challenge in ${result.latencyMs} ms\n`)
      return EXIT.ok
    }
    io.stderr.write(`error: ${result.error.kind}: ${result.error.message} (after ${result.latencyMs} ms)\n`)
    return FAILURE_EXIT[result.error.kind]
  },
}
