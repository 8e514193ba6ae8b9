import type { HeaderValue } from './hmac.js'

/**
 * 🔧 docs/protocol.md: header names. The documented signature header has underscores; the
 * others follow the same style (our choice, one place to change).
 */
export const HEADERS = Object.freeze({
  signature: 'X_YETTO_SIGNATURE',
  event: 'X_YETTO_EVENT',
  delivery: 'X_YETTO_DELIVERY',
  timestamp: 'X_YETTO_TIMESTAMP',
})

/** Plain header records (node:http, fastify, express) or a WHATWG `Headers` object (fetch). */
export type HeadersLike = Readonly<Record<string, HeaderValue | number>> | { get(name: string): string | null }

const isFetchHeaders = (headers: HeadersLike): headers is { get(name: string): string | null } =>
  typeof (headers as { get?: unknown }).get === 'function'

/**
 * Reads a header case-insensitively. The dashed spelling (`x-yetto-signature`) is accepted too:
 * some proxies and frameworks rewrite underscores to dashes rather than dropping the header.
 */
export function readHeader(headers: HeadersLike | undefined, name: string): HeaderValue {
  if (!headers) return undefined
  const [underscored, dashed] = spellingsOf(name)
  if (isFetchHeaders(headers)) {
    return headers.get(underscored) ?? headers.get(dashed) ?? undefined
  }
  const record = headers as Readonly<Record<string, HeaderValue | number>>
  // A for-in over own keys, not Object.entries: this runs on every request. Both spellings have
  // the name's length, so any other key is passed over without lower-casing it.
  for (const key in record) {
    if (key.length !== underscored.length || !Object.hasOwn(record, key)) continue
    const lower = key.toLowerCase()
    if (lower !== underscored && lower !== dashed) continue
    const value = record[key]
    if (value !== undefined && value !== null) return typeof value === 'number' ? String(value) : value
  }
  return undefined
}

const spellings = new Map<string, readonly [string, string]>()
/** The lower-cased underscore and dash spellings of a header name, worked out once per name. */
function spellingsOf(name: string): readonly [string, string] {
  let pair = spellings.get(name)
  if (!pair) {
    const lower = name.toLowerCase()
    pair = [lower, lower.replace(/_/g, '-')]
    // Only the toolkit's own few names come here; the bound is a guard, not a cache policy.
    if (spellings.size < 64) spellings.set(name, pair)
  }
  return pair
}

/** A header's value, or the first of repeated values (for ids and timestamps, not signatures). */
export function readFirstHeader(headers: HeadersLike | undefined, name: string): string | undefined {
  const value = readHeader(headers, name)
  return typeof value === 'string' ? value : value?.[0]
}

export const PROXY_HINT =
  'if a proxy sits in front of this server it may have dropped the header: nginx drops headers with underscores unless `underscores_in_headers on`'
