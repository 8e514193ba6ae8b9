import { Option } from 'commander'
import type { CommandSpec } from '../../command.js'
import { durationOption, formatDuration, urlOption } from '../../parse.js'
import { reportOptions, reportOptionsOf, writeCheckReport } from '../../report.js'
import { DELIVERY_DEFAULTS, SCHEME_NAMES, type SchemeName } from '../../../webhooks/defaults.js'
import { resolveSecret, SECRET_ENV } from '../sign.js'

interface ProbeOptions {
  readonly to: string
  readonly secret?: string
  readonly scheme: SchemeName
  readonly expectReplayProtection?: true
  readonly timeout?: number
  readonly json?: true
  readonly junit?: string
}

export const probeCommand: CommandSpec<ProbeOptions> = {
  name: 'probe',
  summary: 'check a webhook receiver: it must accept signed deliveries and reject tampered, unsigned and wrongly signed ones',
  examples: ['ckit webhooks probe --to http://127.0.0.1:3000/webhooks --secret s3cret', 'ckit webhooks probe --to https://hooks.example.com/yetto --secret s3cret --expect-replay-protection --junit probe.xml'],
  exitCodes: { ok: 'every check passed', problems: 'a check failed', usage: 'usage error' },
  define: (command) =>
    reportOptions(
      command
        .requiredOption('--to <url>', "the receiver's URL", urlOption('--to'))
        .option('--secret <secret>', `the signing secret the receiver is configured with (default $${SECRET_ENV})`)
        .addOption(new Option('--scheme <scheme>', 'how deliveries are signed').choices([...SCHEME_NAMES]).default(DELIVERY_DEFAULTS.scheme))
        .option('--expect-replay-protection', 'also require that a replayed delivery is rejected, and a stale or future timestamp where the scheme signs it (standard)')
        // The probe's limit is the sender's per-attempt timeout (PROBE_DEFAULTS in the library takes it from there too).
        .option('--timeout <duration>', `per request (default ${formatDuration(DELIVERY_DEFAULTS.timeoutMs)}, what the help desk allows)`, durationOption('--timeout')),
    ),
  async run(_args, options, io) {
    const secret = resolveSecret(options, io)
    const { probeReceiver } = await import('../../../conformance/index.js')
    const checks = await probeReceiver({
      url: options.to,
      secret,
      scheme: options.scheme,
      expectReplayProtection: options.expectReplayProtection === true,
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
    })
    return writeCheckReport(io, { suite: 'webhooks probe', url: options.to, scheme: options.scheme, checks }, reportOptionsOf(options), 'the receiver passed every check')
  },
}
