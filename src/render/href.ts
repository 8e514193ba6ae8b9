/** 🔧 docs/protocol.md: links must resolve to one of these schemes; anything else is an error. */
export const SAFE_SCHEMES: ReadonlySet<string> = new Set(['https:', 'http:', 'mailto:'])

export type HrefVerdict = { ok: true; href: string } | { ok: false; message: string }

// C0 controls (tab, newline…), DEL, C1 controls, and invisible or non-ASCII spaces: browsers drop
// or fold some of them (`java\tscript:`), so any of them in a link means someone is playing games.
// A plain space is allowed: customer names land in query strings, and URL parsing encodes it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SUSPICIOUS = /[\u0000-\u001f\u007f-\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]/u

/**
 * Checks a rendered link target. It must be an absolute URL with a safe scheme; the returned
 * `href` is the WHATWG-normalised form, which is what a browser would follow.
 */
export function checkHref(rendered: string): HrefVerdict {
  const candidate = rendered.replace(/^ +| +$/g, '')
  if (candidate === '') return { ok: false, message: 'link target is empty' }
  if (SUSPICIOUS.test(candidate)) return { ok: false, message: 'link target contains control characters or invisible spaces' }
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    return { ok: false, message: `link target ${JSON.stringify(candidate.slice(0, 80))} is not an absolute URL` }
  }
  if (!SAFE_SCHEMES.has(url.protocol)) {
    return { ok: false, message: `link scheme ${JSON.stringify(url.protocol)} is not allowed (only https:, http: and mailto:)` }
  }
  if ((url.protocol === 'https:' || url.protocol === 'http:') && url.hostname === '') {
    return { ok: false, message: 'link target has no host' }
  }
  return { ok: true, href: url.href }
}
