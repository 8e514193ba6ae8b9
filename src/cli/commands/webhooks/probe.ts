import { Option } from 'commander'
import type { CommandSpec } from '../../command.js'
import { durationOption, urlOption } from '../../parse.js'
import { reportOptions, reportOptionsOf, writeCheckReport } from '../../report.js'
import { SCHEME_CHOICES } from './shared.js'
import { resolveSecret } from '../sign.js'

export const probeCommand: CommandSpec = {
  name: 'probe',
  summary: 'check a webhook receiver: it must accept signed deliveries and reject tampered, unsigned and wrongly signed ones',
  examples: ['ckit webhooks probe --to http://127.0.0.1:3000/webhooks --secret s3cret', 'ckit webhooks probe --to https://hooks.example.com/yetto --secret s3cret --expect-replay-protection --junit probe.xml'],
  define: (command) =>
    reportOptions(
      command
        .requiredOption('--to <url>', "the receiver's URL", urlOption('--to'))
        .option('--secret <secret>', 'the signing secret the receiver is configured with (default $CKIT_SECRET)')
        .addOption(new Option('--scheme <scheme>', 'how deliveries are signed').choices([...SCHEME_CHOICES]).default('yetto'))
        .option('--expect-replay-protection', 'also require that a replayed delivery is rejected, and a stale or future timestamp where the scheme signs it (standard)')
        .option('--timeout <duration>', 'per request (default 10s, what the help desk allows)', durationOption('--timeout')),
    ).addHelpText('after', '\nExit codes: 0 every check passed, 1 a check failed, 2 usage error.'),
  async run(_args, options, io) {
    const secret = resolveSecret(options, io)
    const url = options['to'] as string
    const scheme = options['scheme'] as (typeof SCHEME_CHOICES)[number]
    const { probeReceiver } = await import('../../../conformance/index.js')
    const checks = await probeReceiver({
      url,
      secret,
      scheme,
      expectReplayProtection: options['expectReplayProtection'] === true,
      ...(options['timeout'] !== undefined ? { timeoutMs: options['timeout'] as number } : {}),
    })
    return writeCheckReport(io, { suite: 'webhooks probe', url, scheme, checks }, reportOptionsOf(options), 'the receiver passed every check')
  },
}
