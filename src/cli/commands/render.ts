import { Option } from 'commander'
import type { RenderResult } from '../../render/index.js'
import { validateText } from '../../schema/index.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { formatIssue, issueJson, issueLines } from '../format.js'
import { isStyled, printJson, readInput, writeOutput } from '../io.js'

const FORMATS = ['text', 'html', 'json'] as const
type Format = (typeof FORMATS)[number]

interface RenderOptions {
  readonly format: Format
  readonly json?: true
  readonly strict?: true
  readonly fragment?: true
  readonly out?: string
}

export const renderCommand: CommandSpec<RenderOptions> = {
  name: 'render',
  summary: 'show what an agent sees for a customer-connection response (text, HTML page or JSON)',
  examples: ['ckit render response.json', 'ckit render response.json --format html --out sidebar.html', 'curl -s "$URL" | ckit render - --strict --format json'],
  exitCodes: { ok: 'rendered cleanly (warnings allowed)', problems: 'rendered with errors or the response is invalid', usage: 'usage error or unreadable file' },
  define: (command) =>
    command
      .argument('<file>', 'customer-connection response JSON, or - for standard input')
      .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('text'))
      .option('--json', 'the same as --format json')
      .option('--strict', 'undefined variables and unknown section types are errors, not warnings')
      .option('--fragment', 'with --format html: only the sidebar fragment, not a whole page')
      .option('--out <file>', 'write the output to a file (whole or not at all) instead of stdout'),
  async run([file], options, io) {
    const { bytes, name } = await readInput(io, file!)
    const strict = options.strict === true
    const format = options.json ? 'json' : (options.format)
    const checked = validateText(bytes, 'response', { strict })
    for (const warning of checked.warnings) io.stderr.write(`${name}: warning ${formatIssue(warning)}\n`)
    if (!checked.valid) {
      io.stderr.write(`${name}: invalid response, nothing rendered\n${issueLines('error', checked.errors)}`)
      if (format === 'json') printJson(io, { valid: false, validation: { errors: checked.errors.map(issueJson), warnings: checked.warnings.map(issueJson) }, sections: [], warnings: [], errors: [] })
      return EXIT.problems
    }
    // liquidjs loads only for this command, not on every ckit start (the mock's start-up counts).
    const { pageHtml, render, renderText, sidebarHtml } = await import('../../render/index.js')
    const result: RenderResult = render(checked.value, { strict })
    const out = options.out
    let content: string
    if (format === 'json') {
      content = `${JSON.stringify({ valid: true, validation: { errors: [], warnings: checked.warnings.map(issueJson) }, ...result }, null, 2)}\n`
    } else if (format === 'html') {
      const fragment = sidebarHtml(result)
      content = options.fragment ? `${fragment}\n` : pageHtml(fragment, { title: `Customer sidebar — ${name}` })
    } else {
      content = renderText(result, { styled: out === undefined && isStyled(io), issues: false })
    }
    if (out !== undefined) {
      await writeOutput(io, out, content)
      io.stderr.write(`wrote ${out}\n`)
    } else {
      io.stdout.write(content)
    }
    // stdout is the sidebar; problems go to stderr whatever the format.
    for (const e of result.errors) io.stderr.write(`error   ${e.pointer}: ${e.message}\n`)
    for (const w of result.warnings) io.stderr.write(`warning ${w.pointer}: ${w.message}\n`)
    return result.errors.length > 0 ? EXIT.problems : EXIT.ok
  },
}
