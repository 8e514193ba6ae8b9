import type { CommandGroup } from '../../command.js'
import { pactVerifyCommand } from './verify.js'

export const pactCommand: CommandGroup = {
  name: 'pact',
  summary: 'contracts: verify your customer endpoint against the help-desk Pact contracts',
  examples: ['ckit pact verify --provider-base-url http://127.0.0.1:3000/yetto --secret s3cret'],
  subcommands: [pactVerifyCommand],
}
