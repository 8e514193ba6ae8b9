import type { CommandGroup } from '../../command.js'
import { pactProxyCommand } from './proxy.js'
import { pactVerifyCommand } from './verify.js'

export const pactCommand: CommandGroup = {
  name: 'pact',
  summary: 'contracts: verify your customer endpoint against the help-desk Pact contracts, here or with any Pact verifier',
  examples: ['ckit pact verify --provider-base-url http://127.0.0.1:3000/yetto --secret s3cret', 'ckit pact proxy --provider-base-url http://127.0.0.1:3000/yetto --secret s3cret --port 4011'],
  subcommands: [pactVerifyCommand, pactProxyCommand],
}
