/**
 * RFC 9110 §7.6.1: headers that describe one connection, not the message. A proxy must not pass
 * them on — `Proxy-Authorization` carries the client's credentials for *this* hop, and a header
 * named in `Connection` was meant for the next hop only (naming e.g. `X_YETTO_SIGNATURE` there
 * is how a client asks an intermediary to drop it).
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

type HeaderRecord = Readonly<Record<string, string | readonly string[] | number | undefined>>

/**
 * The headers of a message that may be forwarded to the next hop: no hop-by-hop header, none
 * named in `Connection`, and none in `drop` (e.g. `host`, `content-length`, which the forwarder
 * sets itself). Names come back lower-case; repeated values are joined with ", ".
 */
export function forwardableHeaders(headers: HeaderRecord, drop: Iterable<string> = []): Record<string, string> {
  const excluded = new Set(HOP_BY_HOP)
  for (const name of drop) excluded.add(name.toLowerCase())
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'connection' || value === undefined) continue
    for (const listed of (Array.isArray(value) ? value.join(',') : String(value)).split(',')) {
      const token = listed.trim().toLowerCase()
      if (token !== '') excluded.add(token)
    }
  }
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (value === undefined || excluded.has(lower)) continue
    out[lower] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return out
}
