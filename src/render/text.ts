import type { RenderIssue, RenderResult } from './render.js'

export interface TextOptions {
  /** Bold titles and OSC-8 hyperlinks (a terminal that is a TTY and without NO_COLOR). */
  readonly styled?: boolean
  /** Append errors and warnings after the sections (default true). */
  readonly issues?: boolean
}

const ESC = '\u001b'
/**
 * Text from a response must not drive the terminal: C0 and C1 control characters (ESC and CSI
 * start escape sequences that set the title, clear the screen, rewrite lines) and bidirectional
 * overrides (which reorder what is shown) become visible escapes. Newlines and tabs stay.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
const escapeControl = (c: string): string => {
  const code = c.charCodeAt(0)
  return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`
}

/** The text with every control character a terminal would act on shown as an escape (`\x1b`). */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, escapeControl)
}

/** Whether terminalSafe would change the text. */
export const hasTerminalControl = (text: string): boolean => text.search(CONTROL) !== -1

const visible = (text: string): string => terminalSafe(text).replace(/\n/g, ' ')

function issueLine(label: string, issue: RenderIssue): string {
  const where = issue.line === undefined ? '' : ` (line ${issue.line}, column ${issue.column})`
  return `${label} ${issue.pointer}: ${visible(issue.message)}${where}`
}

/** The sidebar as terminal text: titles, descriptions, links, aligned lists; then problems. */
export function renderText(result: RenderResult, options: TextOptions = {}): string {
  const styled = options.styled === true
  const bold = (s: string) => (styled ? `${ESC}[1m${s}${ESC}[22m` : s)
  const link = (href: string) => (styled ? `${ESC}]8;;${href}${ESC}\\${ESC}[4m${href}${ESC}[24m${ESC}]8;;${ESC}\\` : href)
  const blocks: string[] = []
  for (const section of result.sections) {
    const lines = [bold(visible(section.title))]
    if (section.type === 'link') {
      if (section.description) lines.push(`  ${visible(section.description)}`)
      lines.push(`  ${link(section.href)}`)
    } else {
      const width = Math.max(0, ...section.items.map((item) => visible(item.description).length))
      for (const item of section.items) lines.push(`  ${visible(item.description).padEnd(width)}  ${visible(item.value)}`)
      if (section.items.length === 0) lines.push('  (no items)')
    }
    blocks.push(lines.join('\n'))
  }
  if (blocks.length === 0) blocks.push('(no sections to show)')
  if (options.issues === false) return `${blocks.join('\n\n')}\n`
  const problems = [...result.errors.map((e) => issueLine('error  ', e)), ...result.warnings.map((w) => issueLine('warning', w))]
  return `${blocks.join('\n\n')}\n${problems.length > 0 ? `\n${problems.join('\n')}\n` : ''}`
}
