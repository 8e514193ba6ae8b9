import type { CommandSpec } from '../command.js'
import { readYamlOption, serveUntilShutdown } from '../io.js'
import { urlOption, wholeNumberOption } from '../parse.js'
import type { ProxyVerdict } from '../../desk/index.js'
import { PROXY_DEFAULTS } from '../../desk/defaults.js'
import type { Io } from '../io.js'
import { terminalSafe } from '../../render/text.js'
import { jsonLine } from '../format.js'

const ANSWERED: Record<ProxyVerdict['answered'], (verdict: ProxyVerdict) => string> = {
  'passed-through': () => '',
  problem: () => ' → 502/504 problem+json',
  reset: () => ' → connection reset (as the upstream did)',
  fault: (verdict) => ` → fault ${verdict.scenario} (${verdict.scenarioSource})`,
}

export function printVerdict(io: Io, verdict: ProxyVerdict, json: boolean, extra = ''): void {
  // Problems quote the upstream (tag names, property names): nothing of it may drive the terminal.
  if (json) return void io.stdout.write(jsonLine(verdict))
  const problems = verdict.problems.slice(0, 3).map((p) => `${p.pointer || '/'}: ${p.message}`).join('; ')
  io.stdout.write(terminalSafe(`${verdict.time}  ${String(verdict.email ?? '-').padEnd(28)} ${String(verdict.status ?? '---')} in ${verdict.latencyMs} ms  signature ${verdict.signature}  ${verdict.ok ? 'ok' : `✖ ${problems}`}${ANSWERED[verdict.answered](verdict)}${extra}`).replace(/\n/g, ' ') + '\n')
}

interface ProxyCommandOptions {
  readonly upstream: string
  readonly port?: number
  readonly host?: string
  readonly secret?: string
  readonly errors?: true
  readonly scenario?: string
  readonly config?: string
  readonly seed?: number
  readonly json?: true
}

export const proxyCommand: CommandSpec<ProxyCommandOptions> = {
  name: 'proxy',
  summary: 'stand between a help desk and your endpoint: forward each request, check each answer as the help desk would, log a verdict',
  examples: ['ckit proxy --upstream http://127.0.0.1:3000/yetto --secret s3cret --errors', 'ckit proxy --upstream http://127.0.0.1:3000/yetto --config faults.yaml --seed 7'],
  define: (command) =>
    command
      .requiredOption('--upstream <url>', 'your endpoint as configured in the help desk', urlOption('--upstream'))
      .option('--port <port>', `port (default ${PROXY_DEFAULTS.port}; 0 for any)`, wholeNumberOption('--port', 0, 65535))
      .option('--host <host>', `address to bind (default ${PROXY_DEFAULTS.host}); requests must name it in Host (DNS rebinding gets 421)`)
      .option('--secret <secret>', 'also check each request signature (never refused: the upstream decides)')
      .option('--errors', 'answer a response the help desk would refuse with 502 application/problem+json explaining why')
      .option('--scenario <name>', 'fault scenario for every request no header or rule chooses, from the mock\'s catalogue (default ok)')
      .option('--config <file>', 'fault rules by e-mail and reason, in the mock\'s scenarios.yaml syntax ({ default?, rules? })')
      .option('--seed <n>', 'seed for rule probabilities and latency distributions (default 1)', wholeNumberOption('--seed', 0, 2 ** 31 - 1))
      .option('--json', 'one JSON line per exchange on stdout (after a first { "listening": url } line)')
      .addHelpText('after', '\nPoint the help desk (or ckit fetch) at the proxy. An upstream timeout becomes a 504 problem+json;\nan upstream reset or refusal resets the client connection too.\nFaults: X-Mock-Scenario (not forwarded), --scenario, --config rules; see docs/mock.md.\nA last path segment that is not base64url is refused (400), never forwarded.\nStops on Ctrl-C, exit 0.'),
  async run(_args, options, io) {
    const { startProxy } = await import('../../desk/index.js')
    const json = options.json === true
    const proxy = await startProxy({
      upstream: options.upstream,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.secret ? { secret: options.secret } : {}),
      errors: options.errors === true,
      ...(options.scenario ? { scenario: options.scenario } : {}),
      // Fault rules in the mock's scenarios.yaml syntax; compiled (and refused with pointers) by startProxy.
      ...(options.config ? { scenarios: (await readYamlOption(io, '--config', options.config)) ?? {}, scenariosLabel: options.config } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      onExchange: (verdict) => printVerdict(io, verdict, json),
    })
    io.stderr.write(`proxying ${proxy.url} → ${options.upstream}${options.errors ? ' (refused answers become 502 problem+json)' : ''}; Ctrl-C to stop\n`)
    if (json) io.stdout.write(`${JSON.stringify({ listening: proxy.url })}\n`)
    return serveUntilShutdown(io, () => proxy.close())
  },
}
