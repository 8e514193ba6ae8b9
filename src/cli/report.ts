import type { Command } from 'commander'
import { allPassed, type CheckResult } from '../conformance/result.js'
import { terminalSafe } from '../render/text.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { escapeXml, terminalSafeJson } from './format.js'
import { writeOutput, type Io } from './io.js'

/** One run of a check suite, as `--json` prints it (docs/conformance-report.schema.json). */
export interface CheckReport {
  readonly suite: 'conformance' | 'webhooks probe'
  /** The endpoint or receiver checked. */
  readonly url: string
  /** The webhook signing scheme probed (webhooks probe only). */
  readonly scheme?: string
  readonly checks: readonly CheckResult[]
}

export interface ReportOptions {
  readonly json?: boolean
  readonly junit?: string
}

/** The output flags every check suite takes, so `ckit conformance` and `ckit webhooks probe` read alike. */
export const reportOptions = (command: Command): Command =>
  command.option('--json', 'print { ok, suite, url, checks } on stdout (docs/conformance-report.schema.json)').option('--junit <file>', 'write the checks as JUnit XML, for CI')

/** The output flags as commander parsed them. */
export const reportOptionsOf = (options: { readonly json?: true; readonly junit?: string }): ReportOptions => ({ json: options.json === true, ...(options.junit !== undefined ? { junit: options.junit } : {}) })

const SYMBOL = { pass: '✔', fail: '✖', warn: '⚠', skip: '-' } as const

/**
 * Writes the report as the flags ask (JUnit to a file; JSON or text on stdout) and returns the
 * exit code: 0 when no check failed, 1 otherwise. `passed` is the text verdict when none failed.
 * Reasons and fixes quote what the other side sent (key names, Content-Types, error text): every
 * line a person or a CI page shows passes through the terminal neutraliser.
 */
export async function writeCheckReport(io: Io, report: CheckReport, options: ReportOptions, passed: string): Promise<ExitCode> {
  const ok = allPassed(report.checks)
  if (options.junit !== undefined) await writeOutput(io, options.junit, junitXml(report))
  if (options.json) io.stdout.write(`${terminalSafeJson({ ok, suite: report.suite, url: report.url, ...(report.scheme === undefined ? {} : { scheme: report.scheme }), checks: report.checks }, 2)}\n`)
  else io.stdout.write(reportText(report.checks, passed))
  return ok ? EXIT.ok : EXIT.problems
}

/** One line per check (✔ ✖ ⚠ -), a fix under each ✖ and ⚠, and the verdict. */
export function reportText(checks: readonly CheckResult[], passed: string): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length)) + 1
  const lines = checks.map((c) => `${SYMBOL[c.status]} ${c.name.padEnd(width)} ${c.status === 'skip' ? 'not applicable: ' : ''}${terminalSafe(c.reason)}${c.fix && (c.status === 'fail' || c.status === 'warn') ? `\n    fix: ${terminalSafe(c.fix)}` : ''}\n`)
  const ran = checks.filter((c) => c.status !== 'skip')
  const failed = ran.filter((c) => c.status === 'fail').length
  const warned = ran.filter((c) => c.status === 'warn').length
  const verdict = failed === 0 ? `${passed}${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}` : `${failed} of ${ran.length} checks failed`
  return `${lines.join('')}${verdict}\n`
}

/** JUnit XML as CI systems display it: ✖ is a `<failure>`, - a `<skipped>`, ✔ and ⚠ pass. */
export function junitXml(report: CheckReport): string {
  const suite = `ckit ${report.suite}`
  const count = (status: CheckResult['status']) => report.checks.filter((c) => c.status === status).length
  const inner = (c: CheckResult) => {
    const reason = escapeXml(terminalSafe(c.reason))
    if (c.status === 'fail') return `\n      <failure message="${reason}">${escapeXml(terminalSafe(`${c.reason}${c.fix ? `\nfix: ${c.fix}` : ''}`))}</failure>\n    `
    if (c.status === 'skip') return `\n      <skipped message="${reason}"/>\n    `
    return ''
  }
  const cases = report.checks.map((c) => `    <testcase classname="${escapeXml(suite)}" name="${escapeXml(c.name)}" time="${((c.latencyMs ?? 0) / 1000).toFixed(3)}">${inner(c)}</testcase>`).join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${escapeXml(suite)} ${escapeXml(report.url)}" tests="${report.checks.length}" failures="${count('fail')}" skipped="${count('skip')}">\n${cases}\n  </testsuite>\n</testsuites>\n`
}
