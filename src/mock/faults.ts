import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CustomerConnectionResponse } from '../schema/index.js'
import type { Scenario, SchemaInvalidVariant } from './scenarios.js'

/** What the request would get without a fault. */
export interface NormalAnswer {
  readonly body: string
  /** The customer response, parsed from `body` only by the faults that change it. */
  readonly prepared: { readonly response: CustomerConnectionResponse } | undefined
  readonly challenge: string | undefined
  /** 200 unless the normal answer is itself a refusal (404 for an unknown customer). */
  readonly status?: number
  /** Its Content-Type (default application/json): the proxy's upstream may say more (a charset). */
  readonly contentType?: string
}

/**
 * Where a fault is written: the mock's fastify reply, or the proxy's plain node:http response.
 * One fault implementation serves both.
 */
export interface FaultWire {
  /** Names the request in error bodies. */
  readonly requestId: string
  /** A complete answer. */
  send(status: number, type: string, body: string, headers?: Readonly<Record<string, string>>): void
  /** Takes the raw response over, for faults below HTTP: waits, resets, hangs, drips. */
  takeOver(): ServerResponse
}

/** The mock's wire: answers go through fastify; a take-over hijacks the reply. A class: one object per request, no closures. */
export class FastifyWire implements FaultWire {
  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {}
  get requestId(): string {
    return this.request.id
  }
  send(status: number, type: string, body: string, headers?: Readonly<Record<string, string>>): void {
    void (headers ? this.reply.headers(headers) : this.reply).code(status).header('content-type', type).send(body)
  }
  takeOver(): ServerResponse {
    this.reply.hijack()
    return this.reply.raw
  }
}

/** A wire over a plain node:http response (the proxy). */
export function nodeWire(res: ServerResponse, requestId: string): FaultWire {
  return {
    requestId,
    send: (status, type, body, headers) => void res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body),
    takeOver: () => res,
  }
}

export interface FaultEnvironment {
  readonly budgetMs: number
  readonly maxResponseBytes: number
  /** A signal aborted when the client goes away or the server closes: no timer outlives its request. */
  signal(): AbortSignal
  /** Registers a hijacked response the server must destroy on close (hang). */
  hold(raw: ServerResponse): void
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict',
  410: 'Gone', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
}

/** What a real endpoint or the proxy in front of it sends for a status. */
export function statusBody(status: number, requestId: string): { type: string; body: string; headers: Record<string, string> } {
  const reason = REASONS[status] ?? 'Error'
  const headers: Record<string, string> = status === 429 || status === 503 ? { 'retry-after': '30' } : {}
  if (status >= 502 && status <= 504) {
    // Proxies (nginx, load balancers) answer these with their own HTML, not the app's JSON.
    const body = `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
    return { type: 'text/html', body, headers }
  }
  if (status >= 200 && status < 300) {
    return { type: 'application/json', body: JSON.stringify({ status: 'ok' }), headers }
  }
  return { type: 'application/json', body: JSON.stringify({ error: { status, message: reason, request_id: requestId } }), headers }
}

const LOGIN_PAGE = `<!DOCTYPE html>
<html><head><title>Sign in · Acme CRM</title></head>
<body><form method="post" action="/login"><h1>Sign in to continue</h1>
<label>E-mail <input name="email"></label><label>Password <input name="password" type="password"></label>
<button>Sign in</button></form></body></html>
`

/** What content faults start from on a challenge request, which has no customer response. */
const EMPTY_RESPONSE: CustomerConnectionResponse = Object.freeze({ version: '2024-03-06', customer: {}, sections: [] })

const MALFORMED_JSON = '{"version": "2024-03-06", "customer": {"id": "customer_1", "name": "Kelly",}, "sections": [{"type": "link",'

/** A copy of the normal response that breaks the contract in one documented way. */
export function schemaInvalid(normal: CustomerConnectionResponse, variant: SchemaInvalidVariant): unknown {
  const r = structuredClone(normal) as unknown as Record<string, unknown> & { sections: Record<string, unknown>[] }
  const link = { type: 'link', title: 'Profile', href: 'https://admin.example.com/customers/1' }
  switch (variant) {
    case 'wrong-version':
      return { ...r, version: '2023-01-01' }
    case 'missing-customer': {
      const { customer: _customer, ...rest } = r
      return rest
    }
    case 'missing-sections': {
      const { sections: _sections, ...rest } = r
      return rest
    }
    case 'customer-not-object':
      return { ...r, customer: 'kelly@example.com' }
    case 'link-without-href':
      return { ...r, sections: [...r.sections, { type: 'link', title: 'Broken link' }] }
    case 'href-not-string':
      return { ...r, sections: [...r.sections, { ...link, href: 42 }] }
    case 'too-many-sections':
      return { ...r, sections: Array.from({ length: 51 }, () => link) }
    case 'unknown-section-type':
      return { ...r, sections: [...r.sections, { type: 'chart', title: 'Usage', series: [1, 2, 3] }] }
    case 'unsafe-href':
      return { ...r, sections: [...r.sections, { type: 'link', title: 'Open profile', href: 'javascript:alert(document.domain)' }] }
    case 'undefined-variable':
      return { ...r, sections: [...r.sections, { type: 'list', title: 'Support', items: [{ description: 'Tier', value: '{{ data.customer.nonexistent.tier }}' }] }] }
    case 'template-syntax':
      return { ...r, sections: [...r.sections, { type: 'list', title: 'Broken', items: [{ description: 'Plan', value: '{% if data.customer.plan_type %}{{ data.customer.plan_type }}' }] }] }
  }
}

/** Waits, unless the request is gone; resolves false when aborted. */
/** 🔧 docs/mock.md: the `timeout` scenario answers this long after the budget, so the client has given up. */
const PAST_THE_BUDGET_MS = 500

/** How long a `delay` or `timeout` waits before the answer goes out: the mock and the proxy wait alike. */
export const faultWaitMs = (scenario: Extract<Scenario, { kind: 'delay' | 'timeout' }>, budgetMs: number): number => (scenario.kind === 'delay' ? scenario.ms : budgetMs + PAST_THE_BUDGET_MS)

export async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

/**
 * Produces exactly the scenario's fault on the wire. Socket-level faults take the raw response
 * over (in the mock, from fastify), so what the client sees is the socket, not a framework's error page.
 * Synchronous for every answer sent at once (the normal one included); a promise only for the
 * scenarios that wait (delay, timeout, drip), so the hot path allocates no promise and the
 * response leaves in the same tick as the request was parsed.
 */
export function applyScenario(scenario: Scenario, normal: NormalAnswer, wire: FaultWire, env: FaultEnvironment): Promise<void> | void {
  const json = 'application/json'
  // A fault made of the normal answer keeps its status and type: a fault that turned the unknown
  // customer's 404 into a 200 would test a schema failure instead of the fault it names.
  const status = normal.status ?? 200
  const type = normal.contentType ?? json
  switch (scenario.kind) {
    case 'ok':
      return wire.send(status, type, normal.body)
    case 'wrong-challenge':
      return normal.challenge === undefined ? wire.send(status, type, normal.body) : wire.send(status, json, JSON.stringify({ challenge: `${normal.challenge}-not-the-same` }))
    case 'delay':
    case 'timeout':
      return answerLate(faultWaitMs(scenario, env.budgetMs), status, type, normal.body, wire, env)
    case 'status': {
      const answer = statusBody(scenario.status, wire.requestId)
      return wire.send(scenario.status, answer.type, answer.body, answer.headers)
    }
    case 'html-error-page':
      return wire.send(200, 'text/html; charset=utf-8', LOGIN_PAGE)
    case 'malformed-json':
      return wire.send(200, json, MALFORMED_JSON)
    case 'empty-body':
      return wire.send(200, json, '')
    case 'truncated-json':
      return wire.send(status, type, normal.body.slice(0, Math.floor(normal.body.length / 2)))
    case 'schema-invalid':
      return wire.send(status, json, JSON.stringify(schemaInvalid(normal.prepared?.response ?? EMPTY_RESPONSE, scenario.variant)))
    case 'too-large': {
      const base = normal.prepared?.response ?? EMPTY_RESPONSE
      const padding = 'x'.repeat(env.maxResponseBytes + 64 * 1024)
      return wire.send(status, json, JSON.stringify({ ...base, customer: { ...base.customer, padding } }))
    }
    case 'reset':
      wire.takeOver().socket?.resetAndDestroy()
      return
    case 'hang':
      env.hold(wire.takeOver())
      return
    case 'drip':
      return drip(scenario.chunks, scenario.ms, status, type, normal.body, wire, env)
  }
}

/** The whole answer after `ms`, unless the request is gone first. */
async function answerLate(ms: number, status: number, type: string, body: string, wire: FaultWire, env: FaultEnvironment): Promise<void> {
  const raw = wire.takeOver()
  if (await wait(ms, env.signal())) {
    raw.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
    raw.end(body)
  } else {
    raw.destroy()
  }
}

/** The answer in `chunks` pieces, `ms` apart. */
async function drip(chunks: number, ms: number, status: number, type: string, body: string, wire: FaultWire, env: FaultEnvironment): Promise<void> {
  const raw = wire.takeOver()
  raw.writeHead(status, { 'content-type': type, 'transfer-encoding': 'chunked' })
  const size = Math.ceil(body.length / chunks)
  for (let i = 0; i < chunks; i++) {
    if (i > 0 && !(await wait(ms, env.signal()))) return void raw.destroy()
    raw.write(body.slice(i * size, (i + 1) * size))
  }
  raw.end()
}
