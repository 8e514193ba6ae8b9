import { lookup as dnsLookup } from 'node:dns/promises'
import type { LookupAddress, LookupOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { exchange } from '../http/exchange.js'
import type { PlannedAction } from './plan.js'

/**
 * 🔧 docs/protocol.md §http_request: addresses a switch may not reach unless the caller allows
 * private networks — the help desk's own loopback, private, link-local, carrier-grade NAT,
 * multicast and reserved ranges (RFC 6890). A customer value or a switch author must not turn
 * the executor into a way into the network it runs in.
 */
const NON_PUBLIC = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6')
}

/** IPv4 carried inside IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::7f00:1`) is judged by its IPv4 address. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (dotted) return dotted
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (!hex) return undefined
  const high = parseInt(hex[1]!, 16)
  const low = parseInt(hex[2]!, 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4')
  if (family === 6) {
    const v4 = embeddedIpv4(address)
    return v4 !== undefined ? NON_PUBLIC.check(v4, 'ipv4') : NON_PUBLIC.check(address, 'ipv6')
  }
  return false
}

class NonPublicAddressError extends Error {
  readonly code = 'CKIT_NON_PUBLIC_ADDRESS'
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/** Resolves a host name to its addresses (the system resolver by default; tests stub it, since nock cannot model DNS). */
export type HostResolver = (hostname: string) => Promise<readonly string[]>

const systemResolver: HostResolver = async (hostname) => (await dnsLookup(hostname, { all: true })).map((entry) => entry.address)

/**
 * The address check sits in the connection's own DNS lookup, so the address checked is the
 * address connected to: a name that resolves to a public address when checked and to 127.0.0.1
 * when connecting (DNS rebinding) cannot slip through.
 */
function publicOnlyLookup(resolveHost: HostResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolveHost(hostname).then(
      (addresses) => {
        const refused = addresses.find((address) => isNonPublicAddress(address))
        if (refused !== undefined) return callback(new NonPublicAddressError(`${hostname} resolves to ${refused}, which is not a public address`), [])
        const entries = addresses.filter((address) => isIP(address) !== 0).map((address) => ({ address, family: isIP(address) }))
        if (options.all) return callback(null, entries)
        const first = entries[0]
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), [])
        callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    )
  }
}

export interface SendOptions {
  readonly timeoutMs: number
  readonly allowPrivateNetwork: boolean
  readonly resolveHost?: HostResolver | undefined
}

/** `allowedBy` names the option that would have let a refused request through. */
export type SendOutcome = { status: number | null; ok: boolean; error?: string; allowedBy?: 'allowPrivateNetwork' }

/** Sends one planned http_request: no redirects followed, body discarded, one timeout, public addresses only unless allowed. */
export function sendRequest(action: PlannedAction & { uses: 'http_request' }, options: SendOptions): Promise<SendOutcome> {
  let url: URL
  try {
    url = new URL(action.url)
  } catch {
    return Promise.resolve({ status: null, ok: false, error: `${JSON.stringify(action.url)} is not an absolute URL` })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return Promise.resolve({ status: null, ok: false, error: `scheme ${url.protocol} is not allowed` })
  const literalHost = url.hostname.replace(/^\[|\]$/g, '')
  if (!options.allowPrivateNetwork && isNonPublicAddress(literalHost)) {
    return Promise.resolve({ status: null, ok: false, error: `${literalHost} is not a public address`, allowedBy: 'allowPrivateNetwork' })
  }
  const hasBody = action.method !== 'GET'
  const body = hasBody ? (typeof action.body === 'string' ? action.body : JSON.stringify(action.body)) : undefined
  const headers: Record<string, string> = { ...(hasBody ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body ?? '')) } : {}), ...action.headers }
  return exchange(
    { url, method: action.method, headers, ...(body === undefined ? {} : { body }) },
    // The body is never read: only the status counts.
    { timeoutMs: options.timeoutMs, maxResponseBytes: 0, prefixBytes: () => 0, ...(options.allowPrivateNetwork ? {} : { lookup: publicOnlyLookup(options.resolveHost ?? systemResolver) as never }) },
  ).then((sent): SendOutcome => {
    if (sent.ok) {
      const ok = sent.status >= 200 && sent.status < 300
      return { status: sent.status, ok, ...(ok ? {} : { error: `HTTP ${sent.status}` }) }
    }
    const { failure } = sent
    if (failure.kind === 'network' && failure.error instanceof NonPublicAddressError) return { status: null, ok: false, error: failure.error.message, allowedBy: 'allowPrivateNetwork' }
    return { status: null, ok: false, error: failure.message }
  })
}
