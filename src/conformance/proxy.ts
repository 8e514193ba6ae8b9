import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { render } from '../render/index.js'
import { parseJson, validate, type CustomerConnectionResponse } from '../schema/index.js'
import { decodeContext, parseSignedRequest, pathParameterOf, appendPathParameter } from '../signature/index.js'
import { exchange } from './checks.js'

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
  readonly onExchange?: (verdict: ProxyVerdict, response: CustomerConnectionResponse | undefined) => void | Promise<void>
}

export interface RunningProxy {
  readonly url: string
  close(): Promise<void>
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'accept-encoding'])

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
      const parameter = pathParameterOf(req.url ?? '/')
      const decoded = decodeContext(parameter)
      const email = decoded.ok ? (decoded.context.requester?.email ?? null) : null
      const signature = options.secret ? (() => {
        const parsed = parseSignedRequest({ path: req.url ?? '/', headers: req.headers, secret: options.secret, toleranceSeconds: Infinity })
        return parsed.ok ? 'ok' : parsed.reason
      })() : 'not-checked'
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name, value]) => !HOP_BY_HOP.has(name) && typeof value === 'string')) as Record<string, string>
      const target = parameter === '' ? options.upstream : appendPathParameter(options.upstream, parameter)
      const answer = await exchange(target, headers)
      const problems: { pointer: string; message: string }[] = []
      let response: CustomerConnectionResponse | undefined
      if (answer.status === null) {
        problems.push({ pointer: '', message: answer.error ?? 'no answer' })
      } else if (answer.tooLarge) {
        problems.push({ pointer: '', message: 'the response passed 512 KiB' })
      } else if (answer.status >= 200 && answer.status < 300) {
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
      await options.onExchange?.(verdict, response)
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' }).end(problem(500, 'The proxy failed', 'an internal error'))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 4030, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
