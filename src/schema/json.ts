import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser'

/**
 * 🔧 docs/protocol.md §Limits: documents nested deeper than this are refused. Real customer data
 * is a few levels deep; 10,000 nested `[` in 20 KB used to overflow the stack of every recursive
 * step after parsing (the fallback scanner, stringify, Liquid output).
 */
export const MAX_JSON_DEPTH = 100

/** Why a JSON text was refused: not UTF-8, not JSON, or nested too deep. */
export type JsonErrorCode = 'encoding' | 'syntax' | 'too_deep'

/** Where a JSON text stopped being JSON: 1-based line and column, 0-based offset. */
export interface JsonSyntaxError {
  readonly code: JsonErrorCode
  readonly message: string
  readonly line: number
  readonly column: number
  readonly offset: number
  /** The line with a caret under the column, numbered, ready to print. */
  readonly frame?: string
  /** What probably went wrong, for the common slips (trailing comma, single quotes, comments…). */
  readonly hint?: string
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError }

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

const describeCode: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected "," or a closing bracket',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected content after the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character in string',
  InvalidCharacter: 'control character in string (escape it)',
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** Characters of the offending line shown either side of the column. */
const FRAME_CONTEXT = 60

function codeFrame(text: string, offset: number, line: number, column: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1
  const endAt = text.indexOf('\n', offset)
  const full = text.slice(start, endAt === -1 ? text.length : endAt).replace(/\r$/, '')
  const from = Math.max(0, column - 1 - FRAME_CONTEXT)
  const shown = (from > 0 ? '…' : '') + full.slice(from, column - 1 + FRAME_CONTEXT) + (full.length > column - 1 + FRAME_CONTEXT ? '…' : '')
  const gutter = String(line)
  const caretAt = column - 1 - from + (from > 0 ? 1 : 0)
  // Tabs keep their width under the caret.
  const pad = shown.slice(0, caretAt).replace(/[^\t]/g, ' ')
  return `${gutter} | ${shown}\n${' '.repeat(gutter.length)} | ${pad}^`
}

/** The usual hand-editing slips, recognised from the text around the error. */
function hintFor(text: string, offset: number): string | undefined {
  const before = text.slice(0, offset).trimEnd()
  const at = text[offset]
  if (before.endsWith(',') && (at === '}' || at === ']')) return `remove the comma before this "${at}": JSON does not allow a trailing comma`
  if (at === "'") return 'JSON strings and property names use double quotes ("), not single quotes'
  if (at === '/' && (text[offset + 1] === '/' || text[offset + 1] === '*')) return 'JSON has no comments; remove them'
  if (at !== undefined && /[A-Za-z_$]/.test(at) && /[{,]$/.test(before)) return 'property names need double quotes, e.g. "name": …'
  if (/^(NaN|Infinity|-Infinity|undefined)\b/.test(text.slice(offset))) return 'JSON has no NaN, Infinity or undefined; use null or a string'
  if (at !== undefined && /["{[\d-]/.test(at) && /["}\]\d]$|true$|false$|null$/.test(before)) return 'a comma is missing between these two values'
  return undefined
}

function syntaxError(text: string, offset: number, message: string, code: JsonErrorCode = 'syntax'): JsonParseResult {
  const { line, column } = lineAndColumn(text, offset)
  const hint = code === 'syntax' ? hintFor(text, offset) : undefined
  return { ok: false, error: { code, message: `${message} at line ${line}, column ${column}`, line, column, offset, frame: codeFrame(text, offset, line, column), ...(hint ? { hint } : {}) } }
}

/** Offset of the first bracket that opens level MAX_JSON_DEPTH + 1, outside strings; -1 if none. One linear pass, no recursion. */
function tooDeepAt(text: string, maxDepth: number): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) {
      inString = true
    } else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return i
    } else if (c === 93 || c === 125) {
      depth--
    }
  }
  return -1
}

const FAILED = Symbol('not JSON')

/** Containers visited before a value counts as too large: only a shared-reference graph gets here (a 512 KiB document has far fewer). */
export const MAX_VISITS = 5_000_000

/**
 * Whether a value nests deeper than MAX_JSON_DEPTH (a cyclic value does), without recursion and
 * without allocating per property: the common case, a shallow document, costs a quick pass.
 */
export function exceedsDepth(root: object): boolean {
  const values: object[] = [root]
  const depths: number[] = [1]
  let visits = 0
  while (values.length > 0) {
    const value = values.pop()!
    const depth = depths.pop()!
    if (++visits > MAX_VISITS) return true
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child: unknown = value[i]
        if (child === null || typeof child !== 'object') continue
        if (depth >= MAX_JSON_DEPTH) return true
        values.push(child)
        depths.push(depth + 1)
      }
    } else {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue
        const child: unknown = (value as Record<string, unknown>)[key]
        if (child === null || typeof child !== 'object') continue
        if (depth >= MAX_JSON_DEPTH) return true
        values.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return false
}


/** Values parseJson returned: their depth was checked on the text, so validate need not walk them again. */
const depthChecked = new WeakSet<object>()
export const isDepthChecked = (value: object): boolean => depthChecked.has(value)

export const tooDeepMessage = (maxDepth: number): string => `nested deeper than ${maxDepth} levels of arrays and objects`

/**
 * Parses JSON text or bytes. `JSON.parse` decides what is valid; when it refuses, a tolerant
 * scanner (jsonc-parser) finds where, because V8's messages on Node 20 often carry no position.
 */
export function parseJson(input: string | Uint8Array): JsonParseResult {
  let text: string
  if (typeof input === 'string') {
    text = input
  } else {
    try {
      text = utf8.decode(input)
    } catch {
      return { ok: false, error: { code: 'encoding', message: 'input is not valid UTF-8', line: 1, column: 1, offset: 0 } }
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  // JSON.parse does not recurse on the stack; the depth is checked on its result (cheaper than a
  // scan of the text), and the text is scanned only to say where, or before the recursive fallback.
  const value = tryParse(text)
  if (value !== FAILED) {
    if (value === null || typeof value !== 'object') return { ok: true, value }
    if (exceedsDepth(value)) return syntaxError(text, Math.max(0, tooDeepAt(text, MAX_JSON_DEPTH)), tooDeepMessage(MAX_JSON_DEPTH), 'too_deep')
    depthChecked.add(value)
    return { ok: true, value }
  }
  if (text.length > MAX_JSON_DEPTH) {
    const deepAt = tooDeepAt(text, MAX_JSON_DEPTH)
    if (deepAt >= 0) return syntaxError(text, deepAt, tooDeepMessage(MAX_JSON_DEPTH), 'too_deep')
  }
  if (text.trim() === '') return syntaxError(text, text.length, 'empty input, expected a JSON value')
  const errors: ParseError[] = []
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  const first = errors[0]
  if (first) {
    const code = printParseErrorCode(first.error)
    return syntaxError(text, first.offset, describeCode[code] ?? code)
  }
  // Cases the tolerant scanner accepts but JSON does not (e.g. a lone surrogate escape).
  return syntaxError(text, 0, 'not valid JSON')
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return FAILED
  }
}
