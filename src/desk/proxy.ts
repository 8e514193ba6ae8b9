import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { render } from '../render/index.js'
import { parseJson, validate, type CustomerConnectionResponse } from '../schema/index.js'
import { forwardableHeaders } from '../http/headers.js'
import { hostAllowed } from '../http/host.js'
import { PROXY_DEFAULTS } from './defaults.js'
import { formatBytes, HELP_DESK_LIMITS } from '../http/limits.js'
import { decodeContext, parseSignedRequest, pathParameterOf, appendPathParameter, HEADERS } from '../signature/index.js'
import { exchange } from '../conformance/checks.js'

/** One exchange through the proxy, as logged. */
export interface ProxyVerdict {
  readonly time: string
  readonly email: string | null
  readonly signature: 'ok' | 'not-checked' | string
  readonly status: number | null
  readonly latencyMs: number
  readonly ok: boolean
  /** Each problem with its pointer, empty when the answer is one the help desk accepts. */
  readonly problems: readonly { readonly pointer: string; readonly message: string }[]
  /** What the client got: passed through, or a problem+json the proxy made. */
  readonly answered: 'passed-through' | 'problem'
}

export interface ProxyOptions {
  /** The real endpoint, as configured in the help desk (the path parameter is appended). */
  readonly upstream: string
  readonly port?: number
  readonly host?: string
  /** With it, each request's signature is checked too (never refused: the upstream decides). */
  readonly secret?: string
  /** Turn an answer the help desk would refuse into 502 application/problem+json explaining why. */
  readonly errors?: boolean
  readonly onExchange?: (verdict: ProxyVerdict, response: CustomerConnectionResponse | undefined, request: ForwardedRequest) => void | Promise<void>
}

/** What was forwarded, for a listener that must keep it out of what it writes (ckit record). */
export interface ForwardedRequest {
  /** The X_YETTO_SIGNATURE value the request carried, if any. */
  readonly signature?: string
}

export interface RunningProxy {
  readonly url: string
  close(): Promise<void>
}

/** Set by fetch for the upstream request itself; the rest of RFC 9110's hop-by-hop list goes too. */
const SET_BY_THE_PROXY = ['host', 'content-length', 'accept-encoding']

/**
 * The help desk sends base64url(JSON) as the path parameter. Anything else is refused before it
 * is forwarded: URL parsing turns `\` into `/` and resolves `%2e%2e` to `..`, so a segment like
 * `..\..\internal` appended to the upstream URL would climb out of the configured path.
 */
const PATH_PARAMETER = /^[A-Za-z0-9_-]*$/

/** 🔧 docs/protocol.md §Decided since: the one non-2xx answer the help desk accepts (its not_found outcome). */
function isCustomerNotFound(status: number, body: Buffer | null): boolean {
  if (status !== 404 || !body) return false
  const parsed = parseJson(body)
  return parsed.ok && parsed.value !== null && typeof parsed.value === 'object' && (parsed.value as { error?: unknown }).error === 'customer_not_found'
}

const problem = (status: number, title: string, detail: string, errors: readonly { pointer: string; message: string }[] = []) =>
  JSON.stringify({ type: 'https://connection-kit.dev/problems/invalid-customer-response', title, status, detail, ...(errors.length > 0 ? { errors } : {}) })

/**
 * Stands between a help desk and a real endpoint: forwards each request with its signature
 * intact, checks the answer as the help desk would (status, time, JSON, schema, templates, links),
 * reports a verdict per exchange, and with `errors` answers a refused response with a 502
 * problem+json. Upstream timeouts and resets always become problem+json; the budget bounds every
 * exchange, so the proxy never hangs past it.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const time = new Date().toISOString()
      const bound = options.host ?? PROXY_DEFAULTS.host
      if (!hostAllowed(bound, req.headers.host)) {
        return void res.writeHead(421, { 'content-type': 'application/problem+json' }).end(problem(421, 'Host not allowed', `the proxy answers only to the address it is bound to (${bound}); Host ${JSON.stringify(req.headers.host ?? '')} looks like DNS rebinding`))
      }
      const parameter = pathParameterOf(req.url ?? '/')
      if (!PATH_PARAMETER.test(parameter)) {
        return void res.writeHead(400, { 'content-type': 'application/problem+json' }).end(problem(400, 'Not a request context', `the last path segment must be base64url (A-Z a-z 0-9 - _), as the help desk sends it; ${JSON.stringify(parameter.slice(0, 80))} is not, so it was not forwarded`))
      }
      const decoded = decodeContext(parameter)
      const email = decoded.ok ? (decoded.context.requester?.email ?? null) : null
      const signature = options.secret ? (() => {
        const parsed = parseSignedRequest({ path: req.url ?? '/', headers: req.headers, secret: options.secret, toleranceSeconds: Infinity })
        return parsed.ok ? 'ok' : parsed.reason
      })() : 'not-checked'
      const headers = forwardableHeaders(req.headers, SET_BY_THE_PROXY)
      const target = parameter === '' ? options.upstream : appendPathParameter(options.upstream, parameter)
      const answer = await exchange(target, headers)
      const problems: { pointer: string; message: string }[] = []
      let response: CustomerConnectionResponse | undefined
      if (answer.status === null) {
        problems.push({ pointer: '', message: answer.error ?? 'no answer' })
      } else if (answer.tooLarge) {
        problems.push({ pointer: '', message: `the response passed ${formatBytes(HELP_DESK_LIMITS.maxResponseBytes)}` })
      } else if (answer.status < 200 || answer.status > 299) {
        // Judged as the client judges it: redirects are not followed, and every other non-2xx is
        // an error card, except the unknown-customer answer.
        if (!isCustomerNotFound(answer.status, answer.body)) {
          const redirect = answer.status >= 300 && answer.status < 400 ? ' (a redirect: the help desk does not follow it)' : ''
          problems.push({ pointer: '', message: `the endpoint answered HTTP ${answer.status}${redirect}; the help desk shows an error` })
        }
      } else {
        if (!/^application\/(.+\+)?json\b/i.test(answer.contentType ?? '')) problems.push({ pointer: '', message: `Content-Type is ${JSON.stringify(answer.contentType)}, not application/json` })
        const parsed = parseJson(answer.body ?? Buffer.alloc(0))
        if (!parsed.ok) problems.push({ pointer: '', message: `not JSON: ${parsed.error.message}` })
        else if (decoded.ok && decoded.context.reason === 'challenge') {
          if ((parsed.value as { challenge?: unknown } | null)?.challenge !== decoded.context.challenge) problems.push({ pointer: '/challenge', message: 'the challenge was not echoed' })
        } else {
          const checked = validate('response', parsed.value)
          if (!checked.valid) for (const e of checked.errors) problems.push({ pointer: e.pointer, message: e.message })
          else {
            response = checked.value
            for (const e of render(checked.value).errors) problems.push({ pointer: e.pointer, message: e.message })
          }
        }
      }
      const refused = answer.status === null || problems.length > 0
      const makeProblem = answer.status === null || (options.errors === true && refused)
      const verdict: ProxyVerdict = { time, email, signature, status: answer.status, latencyMs: answer.latencyMs, ok: !refused, problems, answered: makeProblem ? 'problem' : 'passed-through' }
      if (makeProblem) {
        const status = answer.timedOut ? 504 : 502
        const title = answer.timedOut ? 'The customer endpoint did not answer in time' : answer.status === null ? 'The customer endpoint could not be reached' : 'The customer endpoint sent a response the help desk would refuse'
        res.writeHead(status, { 'content-type': 'application/problem+json' }).end(problem(status, title, problems.map((p) => `${p.pointer || '/'}: ${p.message}`).join('; '), problems))
      } else {
        res.writeHead(answer.status!, { 'content-type': answer.contentType ?? 'application/octet-stream' }).end(answer.body)
      }
      const sent = req.headers[HEADERS.signature.toLowerCase()]
      await options.onExchange?.(verdict, response, typeof sent === 'string' ? { signature: sent } : {})
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' }).end(problem(500, 'The proxy failed', 'an internal error'))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? PROXY_DEFAULTS.port, options.host ?? PROXY_DEFAULTS.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${options.host ?? PROXY_DEFAULTS.host}:${port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
