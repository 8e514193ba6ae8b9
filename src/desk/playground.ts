import type { FastifyInstance } from 'fastify'
import { findNodeAtLocation, parseTree } from 'jsonc-parser'
import { shellQuote } from '../cli/format.js'
import { SIDEBAR_CSS, sidebarHtml } from '../render/html.js'
import { validateText } from '../schema/index.js'
import { HELP_DESK_LIMITS } from '../http/limits.js'

/**
 * The playground: paste or edit a customer-connection response and see, as you type, the
 * validation issues (each pointer located on its line), the warnings, and the sidebar exactly as
 * the reference renderer draws it. One static page and one script of its own (no framework, no
 * build step, works offline); the checks run on the server with the same code as everything else.
 */

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const PAGE = (base: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>connection-kit playground</title>
<link rel="stylesheet" href="${base}playground.css">
</head>
<body>
<header><h1>connection-kit playground</h1>
<label><input type="checkbox" id="dark"> dark</label>
<label><input type="checkbox" id="strict"> strict</label></header>
<main>
<section class="editor"><h2>Response JSON</h2>
<textarea id="source" spellcheck="false" aria-label="Response JSON"></textarea>
<details><summary>Fetch it live from an endpoint</summary>
<label>URL <input id="url" placeholder="http://127.0.0.1:4010/"></label>
<label>Secret <input id="secret" type="password"></label>
<label>E-mail <input id="email" value="kelly@example.com"></label>
<button id="fetch">Fetch</button> <button id="curl">Copy as curl</button> <output id="fetched"></output>
</details></section>
<section class="result"><h2>Issues</h2><ol id="issues" aria-live="polite"></ol>
<h2>Sidebar</h2><div id="sidebar"></div></section>
</main>
<script src="${base}playground.js"></script>
</body>
</html>
`

const STYLE = `${SIDEBAR_CSS}
body{margin:0;font:14px/1.4 system-ui,sans-serif;background:#fff;color:#1d1d1f}
body.dark{background:#1c1c1e;color:#f2f2f7}
body.dark .ckit-sidebar{background:#2c2c2e;color:#f2f2f7}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid #8884}
header h1{font-size:1rem;margin:0 auto 0 0}
main{display:grid;grid-template-columns:1fr 1fr;gap:1rem;padding:1rem}
textarea{width:100%;min-height:60vh;font:13px/1.4 ui-monospace,monospace;background:inherit;color:inherit;box-sizing:border-box}
#issues li.error{color:#c62828} #issues li.warning{color:#a66400}
body.dark #issues li.error{color:#ff8a80} body.dark #issues li.warning{color:#ffd180}
#issues code{cursor:pointer;text-decoration:underline dotted}
details label{display:block;margin:.25rem 0}
`

const SCRIPT = `(() => {
  const $ = (id) => document.getElementById(id)
  const token = new URLSearchParams(location.search).get('token')
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) }
  const post = (path, body) => fetch('./api/' + path, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.json())
  const source = $('source')
  const saved = localStorage.getItem('ckit-playground')
  source.value = saved || JSON.stringify({ version: '2024-03-06', customer: { id: 'customer_12345', name: 'Kelly Customer', plan: 'Business' }, sections: [{ type: 'link', title: 'Stripe', href: 'https://dashboard.stripe.com/customers/{{ data.customer.id }}' }, { type: 'list', title: 'Account', items: [{ description: 'Plan', value: '{{ data.customer.plan }}' }] }] }, null, 2)
  $('dark').checked = localStorage.getItem('ckit-playground-dark') === '1'
  document.body.classList.toggle('dark', $('dark').checked)
  const select = (line) => {
    const lines = source.value.split('\\n')
    const start = lines.slice(0, line - 1).join('\\n').length + (line > 1 ? 1 : 0)
    source.focus()
    source.setSelectionRange(start, start + (lines[line - 1] || '').length)
  }
  let timer
  const check = () => post('check', { text: source.value, strict: $('strict').checked }).then((result) => {
    const list = $('issues')
    list.replaceChildren()
    for (const issue of result.issues) {
      const item = document.createElement('li')
      item.className = issue.level
      const where = document.createElement('code')
      where.textContent = (issue.pointer || '/') + (issue.line ? ' (line ' + issue.line + ')' : '')
      if (issue.line) where.addEventListener('click', () => select(issue.line))
      item.append(where, ' ' + issue.message)
      list.append(item)
    }
    if (result.issues.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: 'No issues: the help desk would show this.' }))
    $('sidebar').innerHTML = result.html // built by sidebarHtml on the server: every customer string escaped
  })
  source.addEventListener('input', () => {
    localStorage.setItem('ckit-playground', source.value)
    clearTimeout(timer)
    timer = setTimeout(check, 150)
  })
  $('strict').addEventListener('change', check)
  $('dark').addEventListener('change', () => {
    document.body.classList.toggle('dark', $('dark').checked)
    localStorage.setItem('ckit-playground-dark', $('dark').checked ? '1' : '0')
  })
  const target = () => ({ url: $('url').value, secret: $('secret').value, email: $('email').value })
  $('fetch').addEventListener('click', () => post('fetch', target()).then((r) => {
    $('fetched').textContent = r.message
    if (r.text !== undefined) { source.value = r.text; check() }
  }))
  $('curl').addEventListener('click', () => post('curl', target()).then((r) => {
    $('fetched').textContent = r.curl || r.message
    if (r.curl && navigator.clipboard) navigator.clipboard.writeText(r.curl).catch(() => {})
  }))
  check()
})()
`

/** Line (1-based) of the value a pointer names, or undefined when the text does not reach it. */
function lineOf(text: string, pointer: string): number | undefined {
  const tree = parseTree(text)
  if (!tree) return undefined
  const path = pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~')).map((t) => (/^\d+$/.test(t) ? Number(t) : t))
  let node = findNodeAtLocation(tree, path)
  // A missing property: point at its parent object.
  for (let n = path.length - 1; !node && n >= 0; n--) node = findNodeAtLocation(tree, path.slice(0, n))
  if (!node) return undefined
  return text.slice(0, node.offset).split('\n').length
}

export interface PlaygroundIssue {
  readonly level: 'error' | 'warning'
  readonly pointer: string
  readonly message: string
  readonly line?: number
}

/** What the page shows for a text: every issue with its line, and the sidebar HTML (escaped). */
export async function checkForPlayground(text: string, strict: boolean): Promise<{ issues: PlaygroundIssue[]; html: string }> {
  const checked = validateText(text, 'response', { strict })
  const issues: PlaygroundIssue[] = []
  const add = (level: PlaygroundIssue['level'], pointer: string, message: string, line?: number) => {
    const at = line ?? lineOf(text, pointer)
    issues.push({ level, pointer, message, ...(at === undefined ? {} : { line: at }) })
  }
  for (const e of checked.errors) add('error', e.pointer, e.hint ? `${e.message} (${e.hint})` : e.message, e.line)
  for (const w of checked.warnings) add('warning', w.pointer, w.message)
  if (!checked.valid) return { issues, html: '<aside class="ckit-sidebar" aria-label="Customer data"><p class="ckit-empty">Nothing to show until the document is valid.</p></aside>' }
  // liquidjs loads on the first check, not when the mock starts.
  const { render } = await import('../render/render.js')
  const result = render(checked.value, { strict })
  for (const e of result.errors) add('error', e.pointer, e.message)
  for (const w of result.warnings) add('warning', w.pointer, w.message)
  return { issues, html: sidebarHtml(result) }
}

const MAX_TEXT = HELP_DESK_LIMITS.maxResponseBytes

export interface PlaygroundOptions {
  /**
   * Whether POST api/fetch may fetch a URL and return its body. Off, it answers 403: a server
   * other machines can reach must not fetch arbitrary URLs for them (SSRF into internal services).
   */
  readonly fetch: boolean
}

/** The playground as routes of a fastify instance: the page at its prefix, its script and style, and the API it calls. */
export async function playgroundRoutes(app: FastifyInstance, opts: PlaygroundOptions): Promise<void> {
  const base = () => './'
  const hide = { schema: { hide: true } }
  app.get('/', hide, async (request, reply) => {
    // The page links its assets relative to itself: /x/playground needs a trailing slash.
    if (!request.url.split('?')[0]!.endsWith('/')) return reply.redirect(`${request.url.split('?')[0]}/${request.url.includes('?') ? `?${request.url.split('?')[1]}` : ''}`)
    return reply.header('content-security-policy', CSP).type('text/html; charset=utf-8').send(PAGE(base()))
  })
  app.get('/playground.js', hide, async (_request, reply) => reply.header('content-security-policy', CSP).type('text/javascript; charset=utf-8').send(SCRIPT))
  app.get('/playground.css', hide, async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE))
  app.post('/api/check', { ...hide, bodyLimit: MAX_TEXT * 2 }, async (request) => {
    const { text, strict } = (request.body ?? {}) as { text?: unknown; strict?: unknown }
    return checkForPlayground(typeof text === 'string' ? text.slice(0, MAX_TEXT) : '', strict === true)
  })
  const target = (body: unknown) => {
    const { url, secret, email } = (body ?? {}) as { url?: unknown; secret?: unknown; email?: unknown }
    return typeof url === 'string' && typeof secret === 'string' && secret !== '' && typeof email === 'string' ? { url, secret, email } : undefined
  }
  const context = (email: string) => ({ reason: 'refresh' as const, requested_at: new Date().toISOString(), inbox: { slug: 'playground' }, conversation: { id: 'playground' }, requester: { email } })
  app.post('/api/curl', hide, async (request, reply) => {
    const given = target(request.body)
    if (!given) return reply.code(400).send({ message: 'give a URL, a secret and an e-mail' })
    const { buildSignedRequest, HEADERS } = await import('../signature/index.js')
    try {
      const signed = buildSignedRequest({ url: given.url, secret: given.secret, context: context(given.email) })
      // Quoted, never interpolated: a URL holding '$(…)' would run a command when pasted.
      return { curl: `curl -sS -H ${shellQuote(`${HEADERS.signature}: ${signed.signature}`)} ${shellQuote(signed.url)}` }
    } catch (error) {
      return reply.code(400).send({ message: (error as Error).message })
    }
  })
  app.post('/api/fetch', hide, async (request, reply) => {
    if (!opts.fetch) return reply.code(403).send({ error: 'fetch_disabled', message: 'fetching live is off: this server is reachable from other machines and has no admin token (start it with --admin-token, or bind 127.0.0.1); paste the response instead' })
    const given = target(request.body)
    if (!given) return reply.code(400).send({ message: 'give a URL, a secret and an e-mail' })
    const { buildSignedRequest } = await import('../signature/index.js')
    const { exchange } = await import('../conformance/index.js')
    let signed
    try {
      signed = buildSignedRequest({ url: given.url, secret: given.secret, context: context(given.email) })
    } catch (error) {
      return reply.code(400).send({ message: (error as Error).message })
    }
    const answer = await exchange(signed.url, signed.headers)
    if (answer.status === null) return { message: answer.error ?? 'no answer' }
    const summary = `HTTP ${answer.status} in ${answer.latencyMs} ms`
    // Only what the help desk would read comes back: a JSON body. An HTML page or a text file
    // from whatever the URL names stays on the server.
    if (!/^application\/(.+\+)?json\b/i.test(answer.contentType ?? '')) return { message: `${summary}; Content-Type ${JSON.stringify(answer.contentType)} is not JSON, so the body is not shown (the help desk would refuse it)` }
    return { message: summary, ...(answer.body ? { text: answer.body.toString('utf8') } : {}) }
  })
}
