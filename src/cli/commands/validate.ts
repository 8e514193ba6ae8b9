import { Option } from 'commander'
import { DOCUMENT_KINDS, validateText, type DocumentKind } from '../../schema/index.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { issueJson, issueLines } from '../format.js'
import { printJson, readInput } from '../io.js'

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'check a response, request context, challenge, webhook or switch against the contract',
  examples: [
    'ckit validate response.json',
    'curl -s https://crm.example.com/yetto | ckit validate - --kind response --strict --json',
  ],
  define: (command) =>
    command
      .argument('<file>', 'JSON document to check, or - for standard input')
      .addOption(new Option('--kind <kind>', 'document kind (detected from its shape when omitted)').choices([...DOCUMENT_KINDS]))
      .option('--strict', 'treat forward-compatibility warnings (unknown section type, unknown property) as errors')
      .option('--json', 'print one JSON result on stdout')
      .addHelpText(
        'after',
        '\nExit codes: 0 valid, 1 invalid (including invalid JSON or an undetectable kind), 2 usage error or unreadable file.',
      ),
  async run([file], options, io) {
    const { bytes, name } = await readInput(io, file!)
    const result = validateText(bytes, options['kind'] as DocumentKind | undefined, { strict: options['strict'] === true })
    if (options['json']) {
      printJson(io, {
        valid: result.valid,
        kind: result.kind ?? null,
        errors: result.errors.map(issueJson),
        warnings: result.warnings.map(issueJson),
      })
    } else {
      const kind = result.kind ?? 'document'
      const warned = result.warnings.length > 0 ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'})` : ''
      io.stdout.write(`${name}: ${result.valid ? 'valid' : 'invalid'} ${kind}${warned}\n`)
      io.stdout.write(issueLines('error', result.errors) + issueLines('warning', result.warnings))
    }
    return result.valid ? EXIT.ok : EXIT.problems
  },
}
