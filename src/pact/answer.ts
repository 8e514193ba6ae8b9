import { CLIENT_DEFAULTS } from '../client/request.js'
import { hasTerminalControl, terminalSafe } from '../render/text.js'
import { LINK_HREF_PATTERN } from '../schema/messages.js'

/** 🔧 docs/protocol.md: what the help desk accepts of an answer, applied by the contract proxy. */
export const ANSWER_LIMITS = Object.freeze({
  /** The help desk drops any answer completed later than this (connect, headers and body). */
  budgetMs: CLIENT_DEFAULTS.timeoutMs,
  /** A body over this is `too_large` for the help desk. */
  maxResponseBytes: CLIENT_DEFAULTS.maxResponseBytes,
  /** How long past the budget the proxy still waits, so a late answer is reported with its time. */
  graceMs: 1500,
})

/**
 * The schemes the help desk opens: the response schema's own `href` pattern (`http:`, `https:`,
 * `mailto:` in any letter case, at the very start of the template).
 */
export { LINK_HREF_PATTERN }
const LINK_HREF = new RegExp(LINK_HREF_PATTERN)
/**
 * The same rule as a Pact regex matcher. Pact verifiers differ on whether a regex must match the
 * whole value (the standalone verifier and pact-jvm do): `.*$` makes the prefix rule portable.
 */
export const LINK_HREF_MATCHER = `${LINK_HREF_PATTERN}.*$`

export const lateMessage = (elapsedMs: number, budgetMs: number): string => `answered in ${Math.round(elapsedMs)} ms; the help desk gives up after ${budgetMs} ms`
export const noAnswerMessage = (waitedMs: number, budgetMs: number): string => `no complete answer within ${waitedMs} ms; the help desk gives up after ${budgetMs} ms`
export const tooLargeMessage = (maxBytes: number, declared?: number): string =>
  declared === undefined ? `the answer's body passed ${maxBytes} bytes; the help desk treats it as too_large` : `the answer declares ${declared} bytes, over the help desk's ${maxBytes}-byte limit (too_large)`

/** Header values must be visible ASCII (RFC 9110); a byte past that is reported, never relayed. */
export function headerProblem(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      // Node decodes header bytes as latin1: anything past U+007E was a non-ASCII byte on the wire.
      if (/[^\t\u0020-\u007e]/.test(one)) return `the answer's ${name} header has a non-ASCII or control byte: ${JSON.stringify(one.slice(0, 120))}`
    }
  }
  return undefined
}

/**
 * Every link section of a 2xx JSON answer must point where the help desk will open it. Pact's
 * `arrayContaining` only asks that *some* section matches, so a `javascript:` link beside a good
 * one would pass the contract alone: this closes that gap for all of them.
 */
export function linkProblems(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { sections?: unknown }).sections)) return []
  const problems: string[] = []
  ;(body as { sections: unknown[] }).sections.forEach((section, index) => {
    if (typeof section !== 'object' || section === null || (section as { type?: unknown }).type !== 'link') return
    const href = (section as { href?: unknown }).href
    if (typeof href !== 'string' || !LINK_HREF.test(href)) {
      problems.push(`$.sections[${index}].href ${JSON.stringify(typeof href === 'string' ? href.slice(0, 120) : href)} is not a link the help desk opens (http:, https: or mailto:)`)
    }
  })
  return problems
}

const neutralise = (value: unknown): unknown =>
  typeof value === 'string' ? terminalSafe(value) : Array.isArray(value) ? value.map(neutralise) : typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).map(([k, v]) => [terminalSafe(k), neutralise(v)])) : value

/**
 * A Pact verifier prints the provider's values in its own report, straight to the terminal (the
 * native core writes to stdout, past any filter of ours). Control characters in the body are
 * relayed as visible escapes (`\x1b`): no matcher of the shipped contract accepts a control
 * character where it rejects its escape, so verdicts stay the same and the report cannot steer
 * the terminal.
 */
export function neutraliseBody(body: Buffer, contentType: string): Buffer {
  const text = body.toString('utf8')
  if (!hasTerminalControl(text) && !/\\u00[0-9a-fA-F]{2}|\\u20[26][0-9a-fA-F]/.test(text)) return body
  if (/json/i.test(contentType)) {
    try {
      return Buffer.from(JSON.stringify(neutralise(JSON.parse(text))))
    } catch {
      // Not JSON after all: neutralised as text below.
    }
  }
  return Buffer.from(terminalSafe(text))
}
