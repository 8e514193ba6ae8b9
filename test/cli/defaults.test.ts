import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { CLIENT_DEFAULTS } from '../../src/client/request.js'
import { CONFORMANCE_DEFAULTS } from '../../src/conformance/index.js'
import { PLAYGROUND_DEFAULTS, PROXY_DEFAULTS } from '../../src/desk/index.js'
import { buildProgram } from '../../src/cli/index.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import { FAKE_SEED } from '../../src/cli/commands/webhooks/fake.js'
import { LISTEN_DEFAULTS } from '../../src/cli/commands/webhooks/listen.js'
import { SIMULATE_DEFAULTS } from '../../src/cli/commands/webhooks/simulate.js'
import { MOCK_DEFAULTS } from '../../src/mock/options.js'
import { DELIVERY_DEFAULTS, RECEIVER_DEFAULTS, SCHEME_NAMES } from '../../src/webhooks/index.js'
import { cli } from '../helpers.js'

const program = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '/', readStdin: async () => Buffer.alloc(0), waitForShutdown: () => new Promise(() => {}) }, () => {})

function option(path: string, flag: string) {
  const command = path.split(' ').reduce<Command>((parent, name) => parent.commands.find((c) => c.name() === name)!, program)
  const found = command.options.find((o) => o.long === flag)
  if (!found) throw new Error(`${path} has no ${flag}`)
  return found
}

/** Each CLI default as --help states it, beside the library constant the command leaves it to. */
const STATED: [command: string, flag: string, shown: string | number][] = [
  ['mock', '--port', MOCK_DEFAULTS.port],
  ['mock', '--base-path', MOCK_DEFAULTS.basePath],
  ['fetch', '--timeout', CLIENT_DEFAULTS.timeoutMs],
  ['test-connection', '--timeout', CLIENT_DEFAULTS.timeoutMs],
  ['automate', '--timeout', CLIENT_DEFAULTS.timeoutMs],
  ['conformance', '--requests', CONFORMANCE_DEFAULTS.requests],
  ['conformance', '--concurrency', CONFORMANCE_DEFAULTS.concurrency],
  ['conformance', '--unknown-email', CONFORMANCE_DEFAULTS.unknownEmail],
  ['conformance', '--email', CONFORMANCE_DEFAULTS.emails.join(', ')],
  ['proxy', '--port', PROXY_DEFAULTS.port],
  ['proxy', '--host', PROXY_DEFAULTS.host],
  ['record', '--port', PROXY_DEFAULTS.port],
  ['playground', '--port', PLAYGROUND_DEFAULTS.port],
  ['webhooks send', '--attempts', DELIVERY_DEFAULTS.attempts],
  ['webhooks send', '--backoff', `${DELIVERY_DEFAULTS.backoffMs / 60_000}m`],
  ['webhooks send', '--timeout', `${DELIVERY_DEFAULTS.timeoutMs / 1000}s`],
  ['webhooks send', '--concurrency', DELIVERY_DEFAULTS.concurrency],
  ['webhooks simulate', '--concurrency', DELIVERY_DEFAULTS.concurrency],
  ['webhooks probe', '--timeout', `${DELIVERY_DEFAULTS.timeoutMs / 1000}s`],
  ['webhooks simulate', '--duration', `${SIMULATE_DEFAULTS.durationMs / 60_000}m`],
  ['webhooks simulate', '--rate', `${SIMULATE_DEFAULTS.perSecond}/s`],
  ['webhooks fake', '--seed', FAKE_SEED],
  ['webhooks listen', '--port', LISTEN_DEFAULTS.port],
  ['webhooks listen', '--host', LISTEN_DEFAULTS.host],
  ['webhooks listen', '--max-connections', LISTEN_DEFAULTS.maxConnections],
]

describe('CLI defaults are the libraries’ constants', () => {
  it.each(STATED)('%s %s says (default %s)', (command, flag, shown) => {
    expect(option(command, flag).description).toContain(`default ${shown}`)
  })

  it('offers every signing scheme, defaulting to the one sender and receiver use', () => {
    for (const command of ['webhooks send', 'webhooks simulate', 'webhooks probe']) expect(option(command, '--scheme')).toMatchObject({ argChoices: [...SCHEME_NAMES], defaultValue: DELIVERY_DEFAULTS.scheme })
    expect(option('webhooks listen', '--scheme')).toMatchObject({ argChoices: [...SCHEME_NAMES], defaultValue: RECEIVER_DEFAULTS.scheme })
  })

  it('numbers exit codes from EXIT in --help', async () => {
    const help = (await cli(['webhooks', 'send', '--help'])).stdout.replace(/\s+/g, ' ')
    expect(help).toContain(`(default ${DELIVERY_DEFAULTS.concurrency})`)
    expect(help).toContain(`Exit codes: ${EXIT.ok} all delivered, ${EXIT.problems} invalid --payload, ${EXIT.usage} usage error, ${EXIT.remote} a delivery failed after its retries.`)
  })
})
