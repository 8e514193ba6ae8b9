/**
 * 🔧 docs/protocol.md (Header spelling): servers that drop a request header whose name contains
 * `_` — so X_YETTO_SIGNATURE, the only spelling the help desk sends, never reaches the endpoint's
 * code — and the setting or workaround each one documents. Each entry was checked against the
 * server's own documentation or source (the `source` address); a server is listed only when it
 * drops the header by default.
 */
export interface UnderscoreCulprit {
  readonly name: string
  /** Matches the `Server` response header this software sends by default, when that header names it alone. */
  readonly server?: RegExp
  /** What to change, as one clause. */
  readonly fix: string
  readonly source: string
}

export const UNDERSCORE_CULPRITS: readonly UnderscoreCulprit[] = Object.freeze([
  {
    name: 'nginx',
    server: /^(nginx|openresty)\b/i,
    fix: 'nginx: `underscores_in_headers on;` in the http block or in the default server block of that address and port (it is off by default, and `ignore_invalid_headers on`, also the default, then discards the header)',
    source: 'https://nginx.org/en/docs/http/ngx_http_core_module.html#underscores_in_headers',
  },
  {
    name: 'Apache httpd',
    server: /^apache\b/i,
    fix: 'Apache httpd 2.4 passing headers as environment variables (CGI, FastCGI such as PHP-FPM) drops any name with `_`, with no switch: copy it to a dashed name first, `SetEnvIfNoCase ^X.YETTO.SIGNATURE$ ^(.*)$ yetto_signature=$1` and `RequestHeader set X-Yetto-Signature %{yetto_signature}e env=yetto_signature` (mod_setenvif, mod_headers), then read HTTP_X_YETTO_SIGNATURE',
    source: 'https://httpd.apache.org/docs/2.4/env.html#fixheader',
  },
  {
    name: 'gunicorn',
    server: /^gunicorn\b/i,
    fix: 'gunicorn 22 or later: `header_map = "dangerous"` (`--header-map dangerous`); the default `drop` discards the header and `refuse` answers 400',
    source: 'https://docs.gunicorn.org/en/stable/settings.html#header-map',
  },
  {
    name: 'werkzeug',
    server: /^werkzeug\b/i,
    fix: 'werkzeug, the Flask development server (`flask run`, `app.run()`), drops every header with `_` and has no setting: serve the endpoint with a production server configured to keep it',
    source: 'werkzeug/serving.py, WSGIRequestHandler.make_environ',
  },
  {
    name: 'waitress',
    server: /^waitress\b/i,
    fix: 'waitress 1.0 or later drops every header with `_` and has no setting: put a server in front that copies it to X-Yetto-Signature, or serve the endpoint with gunicorn and `header_map = "dangerous"`',
    source: 'https://docs.pylonsproject.org/projects/waitress/en/latest/ (1.0.0 changelog, Security)',
  },
  {
    // No `server`: its `WSGIServer/0.2` is also what Python's wsgiref sends, which keeps the header.
    name: 'Django runserver',
    fix: 'Django\'s development server (`manage.py runserver`) drops every header with `_`: test against a production server configured to keep it',
    source: 'https://docs.djangoproject.com/en/stable/releases/1.4.18/ (WSGI header spoofing via underscore/dash conflation)',
  },
])

/**
 * One line: why reading the dashed spelling cannot help, then what to change. When the answer's
 * `Server` header names a culprit (the outermost server), its fix alone, with the others named;
 * otherwise every culprit's fix.
 */
export function underscoreFix(serverHeader: string | undefined): string {
  const seen = serverHeader ? UNDERSCORE_CULPRITS.find((c) => c.server?.test(serverHeader.trim())) : undefined
  const others = UNDERSCORE_CULPRITS.filter((c) => c !== seen).map((c) => c.fix)
  const lead = 'the help desk sends only X_YETTO_SIGNATURE, so reading the header in either spelling cannot help when a server in front of your code drops it before your code runs; let it through'
  return seen
    ? `${lead}. The answer came from ${seen.name} (Server: ${serverHeader!.trim()}): ${seen.fix}. If another server sits behind it, its setting is in docs/protocol.md (${UNDERSCORE_CULPRITS.filter((c) => c !== seen).map((c) => c.name).join(', ')})`
    : `${lead}: ${others.join('; ')}`
}
