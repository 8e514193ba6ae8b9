import type { CommandSpec } from '../../command.js'
import { EXIT } from '../../exit-codes.js'
import { collect, urlOption } from '../../parse.js'
import { terminalSafe } from '../../../render/text.js'
import { resolveSecret, SECRET_ENV } from '../sign.js'

interface PactVerifyOptions {
  readonly providerBaseUrl: string
  readonly secret?: string
  readonly contracts?: string[]
  readonly stateChangeUrl?: string
  readonly brokerUrl?: string
  readonly brokerToken?: string
  readonly providerVersion?: string
  readonly publish?: true
  readonly json?: true
}

export const pactVerifyCommand: CommandSpec<PactVerifyOptions> = {
  name: 'verify',
  summary: 'verify your customer endpoint against the help-desk contracts (Pact), signing requests with your secret',
  examples: [
    'ckit pact verify --provider-base-url http://127.0.0.1:3000/yetto --secret s3cret --state-change-url http://127.0.0.1:3000/_pact/state',
    'ckit pact verify --provider-base-url http://127.0.0.1:3000/yetto --secret s3cret --broker-url https://broker.example.com --provider-version $GIT_SHA --publish',
  ],
  exitCodes: { ok: 'every interaction passed', problems: 'an interaction failed (named, with what did not match)', usage: 'usage error' },
  define: (command) =>
    command
      .requiredOption('--provider-base-url <url>', 'your endpoint as configured in the help desk (the path parameter is appended)', urlOption('--provider-base-url'))
      .option('--secret <secret>', `the signing secret your endpoint verifies with (default $${SECRET_ENV})`)
      .option('--contracts <dir|file>', 'pact files or folders (repeatable; default: the contracts shipped with connection-kit)', collect)
      .option('--state-change-url <url>', "your endpoint's Pact state-change route: POST { state, params, action: setup | teardown } around each interaction; a failure fails it", urlOption('--state-change-url'))
      .option('--broker-url <url>', 'fetch contracts from a Pact Broker (default $PACT_BROKER_BASE_URL)')
      .option('--broker-token <token>', 'Pact Broker token (default $PACT_BROKER_TOKEN)')
      .option('--provider-version <version>', 'your version, for publishing results (e.g. the git commit)')
      .option('--publish', 'publish the verification results to the broker')
      .option('--json', 'print { ok, interactions } on stdout'),
  async run(_args, options, io) {
    const secret = resolveSecret(options, io)
    const brokerUrl = options.brokerUrl ?? io.env['PACT_BROKER_BASE_URL']
    const brokerToken = options.brokerToken ?? io.env['PACT_BROKER_TOKEN']
    const { verifyProvider } = await import('../../../pact/index.js')
    const result = await verifyProvider({
      providerBaseUrl: options.providerBaseUrl,
      secret,
      ...(options.contracts ? { contracts: options.contracts } : {}),
      ...(options.stateChangeUrl ? { stateChangeUrl: options.stateChangeUrl } : {}),
      ...(brokerUrl
        ? { broker: { url: brokerUrl, ...(brokerToken ? { token: brokerToken } : {}), ...(options.providerVersion ? { providerVersion: options.providerVersion } : {}), publish: options.publish === true, consumerVersionSelectors: [{ latest: true }] } }
        : {}),
    })
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ ok: result.ok, interactions: result.interactions, ...(result.unclaimed.length > 0 ? { unclaimed: result.unclaimed } : {}) }, null, 2)}\n`)
    } else {
      // Descriptions come from the pact, mismatches quote the provider's answer: neither may steer the terminal.
      for (const interaction of result.interactions) {
        io.stdout.write(`${interaction.ok ? '✔' : '✖'} ${terminalSafe(interaction.description)}\n`)
        for (const mismatch of interaction.mismatches) for (const line of mismatch.split('\n')) io.stdout.write(`    ${terminalSafe(line)}\n`)
      }
      for (const finding of result.unclaimed) io.stdout.write(`✖ ${terminalSafe(finding)}\n`)
      const failed = result.interactions.filter((i) => !i.ok).length + result.unclaimed.length
      if (result.interactions.length === 0) {
        io.stdout.write('no interaction was verified: the verifier stopped before reporting any (its own error lines follow on stderr)\n')
        for (const line of result.output.filter((l) => /fail|error|panic/i.test(l))) io.stderr.write(`${line.trim()}\n`)
      } else io.stdout.write(result.ok ? `all ${result.interactions.length} interactions passed\n` : `${failed} of ${result.interactions.length + result.unclaimed.length} interactions failed\n`)
    }
    // Nothing verified is not a pass, whatever the verifier said.
    return result.ok && result.interactions.length > 0 ? EXIT.ok : EXIT.problems
  },
}
