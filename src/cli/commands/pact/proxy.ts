import { formatBytes, HELP_DESK_LIMITS } from '../../../http/limits.js'
import type { CommandSpec } from '../../command.js'
import { serveUntilShutdown } from '../../io.js'
import { urlOption, wholeNumberOption } from '../../parse.js'
import { terminalSafe } from '../../../render/text.js'
import { resolveSecret, SECRET_ENV } from '../sign.js'

/** The CLI's port: next to the mock's 4010, so a verifier can be pointed at a fixed address. */
export const PACT_PROXY_PORT = 4011

interface PactProxyOptions {
  readonly providerBaseUrl: string
  readonly secret?: string
  readonly port?: number
  readonly host?: string
  readonly stateChangeUrl?: string
  readonly json?: true
}

export const pactProxyCommand: CommandSpec<PactProxyOptions> = {
  name: 'proxy',
  summary: 'a re-signing proxy in front of your endpoint, for any Pact verifier (pact_verifier_cli, pact-jvm, pact-python, pact-go, broker builds)',
  examples: [
    'ckit pact proxy --provider-base-url http://127.0.0.1:3000/yetto --secret s3cret --port 4011',
    'pact_verifier_cli --file node_modules/connection-kit/contracts/help-desk-customer-endpoint.json --hostname 127.0.0.1 --port 4011 --state-change-url http://127.0.0.1:3000/_pact/state --state-change-teardown',
  ],
  define: (command) =>
    command
      .requiredOption('--provider-base-url <url>', 'your endpoint as configured in the help desk (the path parameter is appended)', urlOption('--provider-base-url'))
      .option('--secret <secret>', `the signing secret your endpoint verifies with (default $${SECRET_ENV})`)
      .option('--port <port>', `port (default ${PACT_PROXY_PORT}; 0 for any)`, wholeNumberOption('--port', 0, 65535))
      .option('--host <host>', 'address to bind (default 127.0.0.1)')
      .option('--state-change-url <url>', `also relay Pact state changes sent to <proxy>/_ckit/state to this URL (failures answer 500, naming the state)`, urlOption('--state-change-url'))
      .option('--json', 'one JSON line per request and state change on stdout (after a first { "listening": url } line)')
      .addHelpText(
        'after',
        `\nThe same rules as \`ckit pact verify\`: requests the contract signed are re-signed with your secret, every\ncontext gets the current requested_at (unsigned ones stay unsigned, mis-signed ones are signed with another key),\nand an answer the help desk would drop (later than ${HELP_DESK_LIMITS.answerBudgetMs / 1000} s, over ${formatBytes(HELP_DESK_LIMITS.maxResponseBytes)}, a non-ASCII header, a link that is not\nhttp:, https: or mailto:) reaches the verifier as 502 with the reason. Stops on Ctrl-C, exit 0.`,
      ),
  async run(_args, options, io) {
    const secret = resolveSecret(options, io)
    const { startContractProxy } = await import('../../../pact/index.js')
    const json = options.json === true
    const proxy = await startContractProxy({
      providerBaseUrl: options.providerBaseUrl,
      secret,
      port: options.port ?? PACT_PROXY_PORT,
      ...(options.host ? { host: options.host } : {}),
      ...(options.stateChangeUrl ? { stateChangeUrl: options.stateChangeUrl } : {}),
      onEvent: (event) => {
        if (json) return void io.stdout.write(`${JSON.stringify(event)}\n`)
        const line =
          event.kind === 'state'
            ? `state ${event.action} ${JSON.stringify(event.state)}: ${event.failure ?? `ok${event.status === undefined ? '' : ` (${event.status})`}`}`
            : `${event.key.split(' ').slice(0, 1).join('')} (${event.recorded}) → ${event.status ?? '---'} in ${event.elapsedMs} ms: ${event.findings.length === 0 ? 'relayed' : `✖ ${event.findings.join('; ')} → 502`}`
        io.stdout.write(`${terminalSafe(line)}\n`)
      },
    })
    io.stderr.write(`contract proxy ${proxy.url} → ${options.providerBaseUrl}; point your Pact verifier here; Ctrl-C to stop\n`)
    if (json) io.stdout.write(`${JSON.stringify({ listening: proxy.url, stateUrl: proxy.stateUrl })}\n`)
    return serveUntilShutdown(io, () => proxy.close())
  },
}
