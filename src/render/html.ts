import type { RenderIssue, RenderResult, RenderedSection } from './render.js'

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for element content and quoted attribute values alike. */
// eslint-disable-next-line no-control-regex
const HTML_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g

/** Escapes markup, and replaces control characters (parse errors in HTML, and escape sequences if the page is printed to a terminal) with U+FFFD. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!).replace(HTML_CONTROL, '\ufffd')
}

function sectionHtml(section: RenderedSection): string {
  if (section.type === 'link') {
    const description = section.description ? `\n    <p class="ckit-description">${escapeHtml(section.description)}</p>` : ''
    return `  <section class="ckit-section ckit-link-section" data-section="${section.index}">
    <a class="ckit-link" href="${escapeHtml(section.href)}" target="_blank" rel="noopener noreferrer nofollow">${escapeHtml(section.title)}</a>${description}
  </section>`
  }
  const rows = section.items
    .map((item) => `      <div class="ckit-row"><dt>${escapeHtml(item.description)}</dt><dd>${escapeHtml(item.value)}</dd></div>`)
    .join('\n')
  return `  <section class="ckit-section ckit-list-section" data-section="${section.index}">
    <h3 class="ckit-title">${escapeHtml(section.title)}</h3>
    <dl class="ckit-list">
${rows}
    </dl>
  </section>`
}

function sectionErrorHtml(index: number, issues: readonly RenderIssue[]): string {
  const items = issues.map((i) => `<li><code>${escapeHtml(i.pointer)}</code> ${escapeHtml(i.message)}</li>`).join('')
  return `  <section class="ckit-section ckit-section-error" data-section="${index}" role="alert">
    <p class="ckit-title">This section could not be displayed</p>
    <ul class="ckit-issues">${items}</ul>
  </section>`
}

/** The sidebar fragment: rendered sections in order, a failed section as an inline error. */
export function sidebarHtml(result: RenderResult): string {
  const byIndex = new Map<number, string>()
  for (const section of result.sections) byIndex.set(section.index, sectionHtml(section))
  const failed = new Map<number, RenderIssue[]>()
  for (const issue of result.errors) failed.set(issue.section, [...(failed.get(issue.section) ?? []), issue])
  for (const [index, issues] of failed) byIndex.set(index, sectionErrorHtml(index, issues))
  const body = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, html]) => html)
  if (body.length === 0) body.push('  <p class="ckit-empty">No customer data to show.</p>')
  return `<aside class="ckit-sidebar" aria-label="Customer data">\n${body.join('\n')}\n</aside>`
}

export interface ErrorCard {
  /** The failure kind (timeout, network, http_status, …), shown small and as `data-kind`. */
  readonly kind: string
  /** What the agent reads. */
  readonly message: string
  readonly title?: string
}

/** What the sidebar shows when the customer connection failed: an error, never earlier data. */
export function errorCardHtml(card: ErrorCard): string {
  return `<aside class="ckit-sidebar" aria-label="Customer data">
  <div class="ckit-error-card" role="alert" data-kind="${escapeHtml(card.kind)}">
    <p class="ckit-title">${escapeHtml(card.title ?? 'Customer data unavailable')}</p>
    <p class="ckit-description">${escapeHtml(card.message)}</p>
    <p class="ckit-kind">${escapeHtml(card.kind)}</p>
  </div>
</aside>`
}

export const SIDEBAR_CSS = `
:root { color-scheme: light; --ckit-fg: #1f2328; --ckit-muted: #59636e; --ckit-line: #d1d9e0; --ckit-bg: #f6f8fa; --ckit-accent: #0969da; --ckit-danger: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ckit-fg); background: #fff; }
.ckit-page { display: flex; justify-content: flex-end; min-height: 100vh; background: var(--ckit-bg); }
.ckit-sidebar { width: 320px; background: #fff; border-left: 1px solid var(--ckit-line); padding: 12px 16px; overflow-wrap: anywhere; }
.ckit-sidebar-heading { margin: 0 0 8px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--ckit-muted); }
.ckit-section { padding: 12px 0; border-bottom: 1px solid var(--ckit-line); }
.ckit-section:last-child { border-bottom: 0; }
.ckit-title { margin: 0 0 6px; font-size: 14px; font-weight: 600; }
.ckit-link { font-weight: 600; color: var(--ckit-accent); text-decoration: none; }
.ckit-link:hover { text-decoration: underline; }
.ckit-description { margin: 4px 0 0; color: var(--ckit-muted); }
.ckit-list { margin: 0; display: grid; gap: 4px; }
.ckit-row { display: grid; grid-template-columns: minmax(90px, 40%) 1fr; gap: 8px; }
.ckit-row dt { color: var(--ckit-muted); }
.ckit-row dd { margin: 0; }
.ckit-section-error, .ckit-error-card { border-left: 3px solid var(--ckit-danger); padding-left: 10px; }
.ckit-error-card { margin: 8px 0; padding: 10px 12px; background: #ffebe9; border-radius: 6px; }
.ckit-error-card .ckit-title, .ckit-section-error .ckit-title { color: var(--ckit-danger); }
.ckit-kind { margin: 6px 0 0; font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--ckit-muted); }
.ckit-issues { margin: 0; padding-left: 18px; color: var(--ckit-muted); }
.ckit-empty { color: var(--ckit-muted); }
.ckit-preview-meta { flex: 1; padding: 16px 24px; color: var(--ckit-muted); }
.ckit-preview-meta p { margin: 0 0 4px; }
`

/** A whole page around a sidebar fragment. Its CSP forbids every script, as a second wall behind escaping. */
export function pageHtml(fragment: string, options: { title?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(options.title ?? 'Customer sidebar — connection-kit')}</title>
<style>${SIDEBAR_CSS}</style>
</head>
<body>
<main class="ckit-page">
${fragment}
</main>
</body>
</html>
`
}
