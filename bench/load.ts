// What the benchmarks send: signed requests as a help desk would, for one repeated requester or a
// new one every time.
import type autocannon from 'autocannon'
import type { RequestContext } from '../src/schema/index.js'
import { buildSignedRequest } from '../src/signature/index.js'

export const MOCK_SECRET = 'bench-secret'

export function context(email: string): RequestContext {
  // requested_at is stamped now: the mock refuses contexts more than 5 minutes old as stale.
  return { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email } }
}

/** One signed GET for `email`: the path (with its base64url context) and headers. */
export function signedRequest(url: string, email: string, secret = MOCK_SECRET): { path: string; headers: Record<string, string> } {
  const signed = buildSignedRequest({ url, secret, context: context(email) })
  return { path: new URL(signed.url).pathname, headers: signed.headers }
}

let fresh = 0
/** A new e-mail for every call, never seen before in this process. */
export const freshEmail = (): string => `new-${process.pid}-${fresh++}@example.com`

/**
 * autocannon requests: `repeated` sends one signed request again and again (a cached identity);
 * `fresh` signs a new context, with a new e-mail, for every request.
 */
export function identityRequests(url: string, mode: 'repeated' | 'fresh'): autocannon.Request[] {
  if (mode === 'repeated') {
    const { path, headers } = signedRequest(url, 'repeat@example.com')
    return [{ method: 'GET', path, headers }]
  }
  return [
    {
      setupRequest: (request) => {
        const { path, headers } = signedRequest(url, freshEmail())
        return { ...request, method: 'GET', path, headers: { ...request.headers, ...headers } }
      },
    },
  ]
}
