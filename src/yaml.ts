import yaml from 'js-yaml'

/** YAML (and so JSON) text; `where` names the line and column of a syntax error. */
export function parseYamlText(text: string): { ok: true; value: unknown } | { ok: false; where: string; reason: string } {
  try {
    // JSON_SCHEMA: plain data only (no dates or other implicit types), the subset these files need.
    return { ok: true, value: yaml.load(text, { schema: yaml.JSON_SCHEMA }) }
  } catch (cause) {
    const mark = (cause as { mark?: { line: number; column: number } }).mark
    return { ok: false, where: mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '', reason: (cause as { reason?: string }).reason ?? String(cause) }
  }
}
