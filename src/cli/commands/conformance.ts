import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CkitError } from '../../errors.js'
import type { CommandSpec } from '../command.js'
import { emailOption, urlOption, wholeNumberOption } from '../parse.js'
import { reportOptions, reportOptionsOf, writeCheckReport } from '../report.js'
import { CONFORMANCE_DEFAULTS } from '../../conformance/defaults.js'
import { resolveSecret, SECRET_ENV } from './sign.js'

const collect = (value: string, previous: string[] = []) => [...previous, emailOption('--email')(value)]

interface ConformanceCommandOptions {
  readonly secret?: string
  readonly email?: string[]
  readonly emails?: string
  readonly unknownEmail?: string
  readonly requests?: number
  readonly concurrency?: number
  readonly json?: true
  readonly junit?: string
}

export const conformanceCommand: CommandSpec<ConformanceCommandOptions> = {
  name: 'conformance',
  summary: 'will the help desk accept my endpoint? Named live checks (signature, challenge, latency, schema, templates, links, security), each failure with a fix',
  examples: ['ckit conformance http://127.0.0.1:3000/yetto --secret s3cret --email kelly@example.com', 'ckit conformance https://crm.example.com/yetto --emails emails.txt --requests 50 --junit conformance.xml'],
  exitCodes: { ok: 'every check passed (warnings allowed)', problems: 'a check failed', usage: 'usage error' },
  define: (command) =>
    reportOptions(
      command
        .argument('<url>', 'the endpoint as configured in the help desk', urlOption('<url>'))
        .option('--secret <secret>', `the signing secret (default $${SECRET_ENV})`)
        .option('--email <email>', `a known customer e-mail (repeatable; default ${CONFORMANCE_DEFAULTS.emails.join(', ')})`, collect)
        .option('--emails <file>', 'a file of known customer e-mails, one per line (# comments; an empty file is a usage error)')
        .option('--unknown-email <email>', `an e-mail with no customer (default ${CONFORMANCE_DEFAULTS.unknownEmail})`, emailOption('--unknown-email'))
        .option('--requests <n>', `requests in the latency sample, sequential and then concurrent (default ${CONFORMANCE_DEFAULTS.requests} each)`, wholeNumberOption('--requests', 1, 10_000))
        .option('--concurrency <n>', `requests at once in the concurrent half (default ${CONFORMANCE_DEFAULTS.concurrency})`, wholeNumberOption('--concurrency', 1, 100)),
    ),
  async run([url], options, io) {
    const secret = resolveSecret(options, io)
    const emails = [...(options.email ?? [])]
    if (options.emails) {
      let text: string
      try {
        text = await readFile(resolve(io.cwd, options.emails), 'utf8')
      } catch {
        throw new CkitError('CKIT_CLI_USAGE', `cannot read --emails ${options.emails}`)
      }
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
      // An empty file is a mistake (a wrong path, a failed export): falling back to the default
      // e-mail would check a customer the user never named.
      if (lines.length === 0) throw new CkitError('CKIT_CLI_USAGE', `--emails ${options.emails} has no e-mail: write one known customer e-mail per line (# starts a comment)`)
      for (const line of lines) emails.push(emailOption('--emails')(line))
    }
    const { runConformance } = await import('../../conformance/index.js')
    const checks = await runConformance({
      url: url!,
      secret,
      emails,
      ...(options.unknownEmail ? { unknownEmail: options.unknownEmail } : {}),
      ...(options.requests ? { requests: options.requests } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      onProgress: (done, total) => io.progress?.(`latency sample ${done}/${total}`),
    })
    io.progress?.(null)
    return writeCheckReport(io, { suite: 'conformance', url: url!, checks }, reportOptionsOf(options), 'the help desk would accept this endpoint')
  },
}
