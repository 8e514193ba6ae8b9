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

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls but leaves DEL, C1 (U+0080–U+009F:
 * U+009B is a one-byte CSI) and bidirectional overrides raw. They become \u escapes, which a JSON
 * reader decodes back to the same text.
 */
export function terminalSafeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** One line of terminal-safe JSON (`--json` output that streams a line per event). */
export const jsonLine = (value: unknown): string => `${terminalSafeJson(value)}\n`

/** POSIX shell single-quoting, for ready-to-paste command lines. */
export function shellQuote(value: string): string {
  return /^[\w./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * What XML 1.0 forbids even as a character reference: C0 controls other than tab, newline and
 * carriage return, U+FFFE/U+FFFF, and unpaired surrogates. One of them from an endpoint (a key
 * name, a variable name) would make a CI system reject the whole report, so each is written as a
 * visible escape (`\x1b`, `\ud800`) instead.
 */
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const visibleEscape = (c: string): string => {
  const code = c.charCodeAt(0)
  return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`
}

/** Text safe in XML 1.0 content and in a double- or single-quoted attribute. */
export const escapeXml = (text: string): string =>
  text.replace(XML_FORBIDDEN, visibleEscape).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
