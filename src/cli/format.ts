import { terminalSafe } from '../render/text.js'
import type { LocatedIssue } from '../schema/index.js'

/** `/sections/1/href: must be a string`, or `3:14: invalid JSON…` for syntax errors. */
export function formatIssue(issue: LocatedIssue): string {
  if (issue.line !== undefined) return terminalSafe(issue.message)
  return terminalSafe(`${issue.pointer === '' ? '/' : issue.pointer}: ${issue.message}`)
}

/** Indented `  error    /pointer: message` lines, one per issue, for a report under a heading; a JSON syntax error adds its code frame and hint. */
export function issueLines(label: 'error' | 'warning', issues: readonly LocatedIssue[]): string {
  return issues
    .map((issue) => {
      const frame = issue.frame ? `${terminalSafe(issue.frame).replace(/^/gm, '           ')}\n` : ''
      const hint = issue.hint ? `  ${'hint'.padEnd(8)} ${issue.hint}\n` : ''
      return `  ${label.padEnd(8)} ${formatIssue(issue)}\n${frame}${hint}`
    })
    .join('')
}

export function issueJson(issue: LocatedIssue): Record<string, unknown> {
  const out: Record<string, unknown> = { pointer: issue.pointer, message: issue.message, keyword: issue.keyword }
  if (issue.line !== undefined) Object.assign(out, { line: issue.line, column: issue.column })
  if (issue.hint !== undefined) out['hint'] = issue.hint
  return out
}

/** POSIX shell single-quoting, for ready-to-paste command lines. */
export function shellQuote(value: string): string {
  return /^[\w./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}
