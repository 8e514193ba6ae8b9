import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { classifyAnswer } from '../client/index.js'
import { render } from '../render/index.js'
import { parseJson, validate, type CustomerConnectionResponse } from '../schema/index.js'
import { forwardableHeaders } from '../http/headers.js'
import { hostAllowed } from '../http/host.js'
import { PROXY_DEFAULTS } from './defaults.js'
import { decodeContext, parseSignedRequest, pathParameterOf, appendPathParameter, HEADERS } from '../signature/index.js'
import { CONFORMANCE_DEFAULTS, exchange } from '../conformance/checks.js'
import { applyScenario, faultWaitMs, nodeWire, wait, type FaultEnvironment, type NormalAnswer } from '../mock/faults.js'
import { MOCK_DEFAULTS } from '../mock/options.js'
import { compileScenarioFile, SCENARIO_HEADER, scenarioFromHeaders, ScenarioBook, type Scenario } from '../mock/scenarios.js'

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
  /**
   * What the client got: the upstream's answer passed through, a problem+json the proxy made, a
   * reset (the upstream reset or refused the connection: the client sees the same), or a fault
   * scenario (before forwarding, `status` is null: the upstream was not asked).
   */
  readonly answered: 'passed-through' | 'problem' | 'reset' | 'fault'
  /**
   * The fault scenario chosen (`ok` when none) and where it came from: header, rule:…, default.
   * One made of the upstream's answer is applied only to a 2xx answer (`answered: fault`), as the
   * mock applies faults only to requests it accepted; a refusal passes through unchanged.
   */
  readonly scenario: string
  readonly scenarioSource: string
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
  /** The fault scenario for requests no header or rule chooses (`--scenario`; default ok). */
  readonly scenario?: string
  /** Fault rules by e-mail and reason, as in the mock's scenarios.yaml (`--config`): `{ default?, rules? }`. */
  readonly scenarios?: unknown
  /** Where `scenarios` came from, for error messages (default "scenarios"). */
  readonly scenariosLabel?: string
  /** Seeds probabilities and latency distributions, as the mock's --seed (default 1). */
  readonly seed?: number
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

/**
 * Set by the exchange for the upstream request itself (it asks for and undoes the codings the help
 * desk does; forwardableHeaders drops the hop-by-hop ones), and the scenario header, which is the
 * proxy's to obey, not the upstream's.
 */
const NOT_FORWARDED = ['host', 'content-length', 'accept-encoding', SCENARIO_HEADER]

/** Faults that need nothing from the upstream: answered without asking it. */
const BEFORE_FORWARDING: ReadonlySet<Scenario['kind']> = new Set(['hang', 'reset', 'status', 'html-error-page', 'malformed-json', 'empty-body'])
/** Faults made of the upstream's real answer, when it is a 2xx one. */
const ON_THE_ANSWER: ReadonlySet<Scenario['kind']> = new Set(['truncated-json', 'schema-invalid', 'too-large', 'drip', 'wrong-challenge'])
const NOTHING: NormalAnswer = { body: '', prepared: undefined, challenge: undefined }
const FAULT_LIMITS = { budgetMs: CONFORMANCE_DEFAULTS.budgetMs, maxResponseBytes: CONFORMANCE_DEFAULTS.maxResponseBytes }

/** The upstream's answer as the base of a content fault: its body, and its JSON object when it has one. */
function upstreamAnswer(body: Buffer, status: number, contentType: string | null, challenge: string | undefined): NormalAnswer {
  const parsed = parseJson(body)
  const isObject = parsed.ok && parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value)
  return { body: body.toString('utf8'), prepared: isObject ? { response: parsed.value as CustomerConnectionResponse } : undefined, challenge, status, ...(contentType ? { contentType } : {}) }
}

/**
 * The help desk sends base64url(JSON) as the path parameter. Anything else is refused before it
 * is forwarded: URL parsing turns `\` into `/` and resolves `%2e%2e` to `..`, so a segment like
 * `..\..\internal` appended to the upstream URL would climb out of the configured path.
 */
const PATH_PARAMETER = /^[A-Za-z0-9_-]*$/

const problem = (status: number, title: string, detail: string, errors: readonly { pointer: string; message: string }[] = []) =>
  JSON.stringify({ type: 'https://connection-kit.dev/problems/invalid-customer-response', title, status, detail, ...(errors.length > 0 ? { errors } : {}) })

/**
 * Stands between a help desk and a real endpoint: forwards each request with its signature
 * intact, checks the answer as the help desk would (status, time, JSON, schema, templates, links),
 * reports a verdict per exchange, and with `errors` answers a refused response with a 502
 * problem+json. An upstream timeout becomes a 504 problem+json (the budget bounds every exchange,
 * so the proxy never hangs past it); an upstream reset or refusal resets the client's connection,
 * so the help desk sees what it would see without the proxy.
 *
 * It also applies the mock's fault catalogue in front of the real endpoint (X-Mock-Scenario,
 * `scenario`, `scenarios` rules, seeded like the mock): faults that need no upstream answer
 * before forwarding, latencies before forwarding, content faults on the upstream's real answer.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  // The mock's own rule book: same syntax, same seeded draws. Throws CKIT_MOCK_UNKNOWN_SCENARIO at start-up.
  const book = new ScenarioBook(compileScenarioFile(options.scenarios, options.scenario, options.seed ?? MOCK_DEFAULTS.seed, options.scenariosLabel ?? 'scenarios'))
  let requests = 0
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
      const fromHeader = scenarioFromHeaders(req.headers)
      if (!fromHeader.ok) return void res.writeHead(400, { 'content-type': 'application/problem+json' }).end(problem(400, 'Unknown scenario', fromHeader.message))
      const { scenario, source } = book.choose(email ?? undefined, fromHeader.scenario, decoded.ok ? decoded.context.reason : undefined)
      const gone = new AbortController()
      res.once('close', () => gone.abort())
      // A hung response needs no bookkeeping here: close() ends every connection.
      const env: FaultEnvironment = { ...FAULT_LIMITS, signal: () => gone.signal, hold: () => {} }
      const wire = nodeWire(res, `proxy-${++requests}`)
      const sent = req.headers[HEADERS.signature.toLowerCase()]
      const forwarded: ForwardedRequest = typeof sent === 'string' ? { signature: sent } : {}
      const faulted = { scenario: scenario.name, scenarioSource: source }
      if (BEFORE_FORWARDING.has(scenario.kind)) {
        await applyScenario(scenario, NOTHING, wire, env)
        return options.onExchange?.({ time, email, signature, status: null, latencyMs: 0, ok: true, problems: [], answered: 'fault', ...faulted }, undefined, forwarded)
      }
      if (scenario.kind === 'delay' || scenario.kind === 'timeout') {
        // Delay, then forward: a client that gave up meanwhile is not forwarded for.
        if (!(await wait(faultWaitMs(scenario, FAULT_LIMITS.budgetMs), gone.signal))) return
      }
      const headers = forwardableHeaders(req.headers, NOT_FORWARDED)
      const target = parameter === '' ? options.upstream : appendPathParameter(options.upstream, parameter)
      const answer = await exchange(target, headers)
      const problems: { pointer: string; message: string }[] = []
      let response: CustomerConnectionResponse | undefined
      if (answer.status === null) {
        problems.push({ pointer: '', message: answer.error ?? 'no answer' })
      } else if (answer.tooLarge) {
        problems.push({ pointer: '', message: answer.error ?? 'the response passed the size cap' })
      } else if (answer.status < 200 || answer.status > 299) {
        // Judged by the client's own reading: redirects are not followed, and every other non-2xx
        // is an error card, except the unknown-customer answer within the error-body cap.
        const reading = classifyAnswer(answer.status, answer.body ?? Buffer.alloc(0))
        if (reading.kind === 'http_status' && reading.cappedAway) problems.push({ pointer: '', message: reading.cappedAway })
        else if (reading.kind !== 'not_found') {
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
      const unreachable = answer.status === null && !answer.timedOut
      const onTheAnswer = answer.status !== null && answer.status >= 200 && answer.status <= 299 && !answer.tooLarge && ON_THE_ANSWER.has(scenario.kind)
      const makeProblem = !unreachable && !onTheAnswer && (answer.status === null || (options.errors === true && refused))
      const answered = unreachable ? 'reset' : onTheAnswer ? 'fault' : makeProblem ? 'problem' : 'passed-through'
      const verdict: ProxyVerdict = { time, email, signature, status: answer.status, latencyMs: answer.latencyMs, ok: !refused, problems, answered, ...faulted }
      if (unreachable) {
        // A 502 here made the client report http_status for what was a network failure.
        res.socket?.resetAndDestroy()
      } else if (onTheAnswer) {
        await applyScenario(scenario, upstreamAnswer(answer.body ?? Buffer.alloc(0), answer.status!, answer.contentType, decoded.ok ? decoded.context.challenge : undefined), wire, env)
      } else if (makeProblem) {
        const title = answer.timedOut ? 'The customer endpoint did not answer in time' : 'The customer endpoint sent a response the help desk would refuse'
        const status = answer.timedOut ? 504 : 502
        res.writeHead(status, { 'content-type': 'application/problem+json' }).end(problem(status, title, problems.map((p) => `${p.pointer || '/'}: ${p.message}`).join('; '), problems))
      } else {
        res.writeHead(answer.status!, { 'content-type': answer.contentType ?? 'application/octet-stream' }).end(answer.body)
      }
      await options.onExchange?.(verdict, response, forwarded)
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
