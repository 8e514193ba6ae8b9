import { Option } from 'commander'
import type { RenderIssue } from '../../render/index.js'
import { DOCUMENT_KINDS, validateText, type CustomerConnectionResponse, type DocumentKind, type LocatedIssue, type TextValidationResult } from '../../schema/index.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { issueJson, issueLines } from '../format.js'
import { printJson, readInput } from '../io.js'

const asIssue = (issue: RenderIssue): LocatedIssue => ({ pointer: issue.pointer, keyword: issue.code, message: issue.message })

/**
 * The help desk validates a response and then renders it; a response that passes the schema but
 * cannot be displayed (unsafe href, template error) is still refused as `template_error`. So a
 * schema-valid response is rendered too, with the same strictness, and its render errors make it
 * invalid, as the client judges it (src/client/request.ts).
 */
async function withRendering(result: TextValidationResult, strict: boolean): Promise<{ valid: boolean; errors: readonly LocatedIssue[]; warnings: readonly LocatedIssue[] }> {
  if (!result.valid || result.kind !== 'response') return result
  // Loaded here, not with the command table: every ckit command (the mock's start-up included)
  // would otherwise pay for liquidjs.
  const { render } = await import('../../render/index.js')
  const rendered = render(result.value as CustomerConnectionResponse, { strict })
  // The schema already warned about an unknown section type at the same pointer; say it once.
  const known = new Set(result.warnings.map((w) => w.pointer))
  const warnings = [...result.warnings, ...rendered.warnings.filter((w) => !(w.code === 'unknown_section_type' && known.has(w.pointer))).map(asIssue)]
  const errors = rendered.errors.map(asIssue)
  return { valid: errors.length === 0, errors, warnings }
}

interface ValidateOptions {
  readonly kind?: DocumentKind
  readonly strict?: true
  readonly schemaOnly?: true
  readonly json?: true
}

export const validateCommand: CommandSpec<ValidateOptions> = {
  name: 'validate',
  summary: 'check a response, request context, challenge, webhook or switch against the contract',
  examples: [
    'ckit validate response.json',
    'curl -s https://crm.example.com/yetto | ckit validate - --kind response --strict --json',
  ],
  exitCodes: { ok: 'valid', problems: 'invalid (including invalid JSON or an undetectable kind)', usage: 'usage error or unreadable file' },
  define: (command) =>
    command
      .argument('<file>', 'JSON document to check, or - for standard input')
      .addOption(new Option('--kind <kind>', 'document kind (detected from its shape when omitted)').choices([...DOCUMENT_KINDS]))
      .option('--strict', 'treat forward-compatibility warnings (unknown section type, unknown property, undefined variable) as errors')
      .option('--schema-only', 'for a response: check the schema only, without rendering it as the help desk does')
      .option('--json', 'print one JSON result on stdout')
      .addHelpText('after', '\nA response is also rendered (templates, hrefs), as the help desk does before showing it: what it cannot display is an error.'),
  async run([file], options, io) {
    const { bytes, name } = await readInput(io, file!)
    const strict = options.strict === true
    const checked = validateText(bytes, options.kind, { strict })
    const result = options.schemaOnly === true ? checked : await withRendering(checked, strict)
    if (options.json) {
      printJson(io, {
        valid: result.valid,
        kind: checked.kind ?? null,
        errors: result.errors.map(issueJson),
        warnings: result.warnings.map(issueJson),
      })
    } else {
      const kind = checked.kind ?? 'document'
      const warned = result.warnings.length > 0 ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'})` : ''
      io.stdout.write(`${name}: ${result.valid ? 'valid' : 'invalid'} ${kind}${warned}\n`)
      io.stdout.write(issueLines('error', result.errors) + issueLines('warning', result.warnings))
    }
    return result.valid ? EXIT.ok : EXIT.problems
  },
}
