import { isIP } from 'node:net'

const isLoopbackHost = (host: string): boolean => host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))

/** The host part of a Host header, without port or IPv6 brackets. */
function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  const match = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header)
  return match?.[1]?.toLowerCase()
}

/** Whether a bind address only answers this machine (127.0.0.0/8, ::1, localhost). */
export const isLoopbackBind = (boundHost: string): boolean => isLoopbackHost(boundHost.replace(/^\[|\]$/g, '').toLowerCase())

/**
 * DNS rebinding: a hostile page's own host name re-resolves to 127.0.0.1, so its requests reach
 * a local server with that name in Host. On a loopback bind only loopback names are accepted; on
 * a specific address, that address; on 0.0.0.0 / :: any (the start-up warning says to set a
 * token). One check for every local server that a browser can reach: the mock's admin API, the
 * desk pages (preview, playground) and `ckit proxy` / `ckit record`.
 */
export function hostAllowed(boundHost: string, header: string | undefined): boolean {
  const host = hostOf(header)
  if (host === undefined) return false
  const bound = boundHost.replace(/^\[|\]$/g, '').toLowerCase()
  if (bound === '0.0.0.0' || bound === '::') return true
  if (isLoopbackHost(bound)) return isLoopbackHost(host)
  return host === bound
}
