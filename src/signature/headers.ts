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
  const spellings = [name, name.replace(/_/g, '-')]
  if (isFetchHeaders(headers)) {
    for (const spelling of spellings) {
      const value = headers.get(spelling)
      if (value !== null) return value
    }
    return undefined
  }
  const wanted = new Set(spellings.map((s) => s.toLowerCase()))
  for (const [key, value] of Object.entries(headers)) {
    if (wanted.has(key.toLowerCase()) && value !== undefined && value !== null) {
      return typeof value === 'number' ? String(value) : value
    }
  }
  return undefined
}

/** A header's value, or the first of repeated values (for ids and timestamps, not signatures). */
export function readFirstHeader(headers: HeadersLike | undefined, name: string): string | undefined {
  const value = readHeader(headers, name)
  return typeof value === 'string' ? value : value?.[0]
}

export const PROXY_HINT =
  'if a proxy sits in front of this server it may have dropped the header: nginx drops headers with underscores unless `underscores_in_headers on`'
