import { createConfig, lintFromString } from '@redocly/openapi-core'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import openapiTS, { astToString } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { appendPathParameter, buildSignedRequest, sign, type SignedRequest } from '../../src/signature/index.js'
import { deskPlugin } from '../../src/desk/index.js'
import { typecheck } from '../schema/typecheck.js'

/** The mock's OpenAPI document, as code generators and linters read it. */
let mock: RunningMock
let doc: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- an OpenAPI document walked by path
beforeAll(async () => {
  mock = await startMock({ port: 0, desk: deskPlugin })
  doc = (await (await fetch(`${mock.origin}/openapi.json`)).json()) as Record<string, unknown>
})
afterAll(() => mock.close())

describe('the OpenAPI document', () => {
  it.each(['spec', 'recommended'])('lints with no errors under redocly %s rules', async (ruleset) => {
    const config = await createConfig({ extends: [ruleset] } as never)
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: `${mock.origin}/openapi.json`, config } as never)
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} ${p.location[0]?.pointer ?? ''}`)).toEqual([])
  })

  it('generates TypeScript whose section and action types are literals ("link", "apply_labels"), not component names', async () => {
    const ts = astToString(await openapiTS(doc as never))
    expect(ts).toMatch(/type: "link"/)
    expect(ts).toMatch(/type: "list"/)
    expect(ts).toMatch(/uses: "apply_labels"/)
    expect(ts).not.toMatch(/type: "CustomerConnectionResponse-linkSection"/)
  })

  it('keeps the description and examples beside a $ref', () => {
    const href = doc['components'].schemas['CustomerConnectionResponse-linkSection'].properties.href
    expect(href).toMatchObject({ $ref: '#/components/schemas/CustomerConnectionResponse-template', description: expect.stringContaining('literal https://, http:// or mailto:'), examples: expect.any(Array) })
  })

  it('describes the request as the mock checks it: required signature, tolerated padding, refusals with errors[]', () => {
    const operation = doc['paths']['/{pathParameter}'].get
    // The signature is a security requirement of the operation (so required), declared as its header.
    const signature = doc['components'].securitySchemes.yettoSignature
    expect(signature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X_YETTO_SIGNATURE' })
    expect(signature.description).not.toMatch(/[<>]/)
    const pattern = new RegExp(operation.parameters.find((p: { name: string }) => p.name === 'pathParameter').schema.pattern)
    expect(['eyJhIjoxfQ', 'eyJhIjoxfQ==', 'eyJhIjoxfQ='].every((p) => pattern.test(p))).toBe(true)
    expect(operation.responses['400'].content['application/json'].schema.oneOf[0].properties.errors.items.properties.pointer).toMatchObject({ type: 'string' })
    expect(operation.security).toEqual([{ yettoSignature: [] }])
  })

  it('declares the admin token and the admin answers', () => {
    expect(doc['components'].securitySchemes).toMatchObject({ adminToken: { type: 'http', scheme: 'bearer' }, adminTokenQuery: { in: 'query', name: 'token' } })
    const reset = doc['paths']['/__admin/reset'].post
    expect(Object.keys(reset.responses)).toEqual(expect.arrayContaining(['200', '401', '415', '421']))
    expect(doc['paths']['/__admin/preview'].get.security).toContainEqual({ adminTokenQuery: [] })
  })
})

describe('the customer route declares every status it can answer', () => {
  const SECRET = 's3cret'
  let signed: RunningMock
  beforeAll(async () => {
    signed = await startMock({ port: 0, secret: SECRET })
  })
  afterAll(() => signed.close())

  const context = (email: string) => ({
    reason: 'conversation_viewed' as const,
    requested_at: new Date().toISOString(),
    inbox: { slug: 'support' },
    conversation: { id: 'conv_1', title: 'Refund', html_url: 'https://acme.yetto.app/conversations/conv_1' },
    requester: { email },
  })
  const request = (email = 'kelly@example.com'): SignedRequest => buildSignedRequest({ url: signed.url, secret: SECRET, context: context(email) })

  /** The declared response for a status: its own entry, else its range (4XX), as OpenAPI resolves it. */
  const declared = (status: number) => {
    const responses = doc['paths']['/{pathParameter}'].get.responses
    return responses[String(status)] ?? responses[`${String(status)[0]}XX`]
  }

  it('with a schema for every status and media type, and the 404 and fault answers among them', () => {
    const responses = doc['paths']['/{pathParameter}'].get.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>
    expect(Object.keys(responses).sort()).toEqual(['200', '2XX', '400', '401', '404', '4XX', '5XX'])
    for (const [status, response] of Object.entries(responses)) {
      expect(Object.keys(response.content ?? {}), status).not.toEqual([])
      for (const [type, media] of Object.entries(response.content ?? {})) expect(media.schema, `${status} ${type}`).toBeDefined()
    }
  })

  it.each([
    ['a known customer', () => { const r = request(); return fetch(r.url, { headers: r.headers }) }, 200],
    ['an unknown customer', () => { const r = request('nobody@unknown.invalid'); return fetch(r.url, { headers: r.headers }) }, 404],
    ['an unsigned request', () => fetch(request().url), 401],
    ['a signed context that is not JSON', () => fetch(appendPathParameter(signed.url, 'bm90IGpzb24'), { headers: { X_YETTO_SIGNATURE: sign(SECRET, 'bm90IGpzb24') } }), 400],
    ['an unknown scenario name', () => { const r = request(); return fetch(r.url, { headers: { ...r.headers, 'x-mock-scenario': 'nope' } }) }, 400],
    ...[201, 403, 404, 429, 500, 502, 503, 504, 599].map((code) => [`status:${code}`, () => { const r = request(); return fetch(r.url, { headers: { ...r.headers, 'x-mock-scenario': `status:${code}` } }) }, code] as const),
    ['html-error-page', () => { const r = request(); return fetch(r.url, { headers: { ...r.headers, 'x-mock-scenario': 'html-error-page' } }) }, 200],
  ] as [string, () => Promise<Response>, number][])('%s: the answer matches what the document declares for it', async (_name, send, status) => {
    const answer = await send()
    expect(answer.status).toBe(status)
    const type = (answer.headers.get('content-type') ?? '').split(';')[0]!
    const media = declared(status)?.content?.[type]
    expect(media, `${status} ${type} is declared`).toBeDefined()
    const body = type === 'application/json' ? ((await answer.json()) as unknown) : await answer.text()
    // The document's own schemas, as a generated client would trust them.
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormatsModule.default(ajv)
    ajv.addSchema({ ...doc, $id: 'https://mock.test/openapi.json' })
    const key = String(status) in doc['paths']['/{pathParameter}'].get.responses ? String(status) : `${String(status)[0]}XX`
    const validateBody = ajv.compile({ $ref: `https://mock.test/openapi.json#/paths/~1{pathParameter}/get/responses/${key}/content/${type.replace('/', '~1')}/schema` })
    expect(validateBody(body), JSON.stringify(validateBody.errors)).toBe(true)
  })

  it('openapi-typescript emits a type for the 404 body that a client can narrow on', async () => {
    const api = astToString(await openapiTS(doc as never))
    const client = [
      "import type { paths } from './api.js'",
      "type Get = paths['/{pathParameter}']['get']",
      "type NotFound = Get['responses'][404]['content']['application/json']",
      "const missing: NotFound = { error: 'customer_not_found', message: 'no customer record for nobody@unknown.invalid' }",
      "const fault: NotFound = { error: { status: 404, message: 'Not Found', request_id: 'req-1' } }",
      "type Fault = Get['responses']['5XX']['content']['application/json']",
      "const down: Fault = { error: { status: 500, message: 'Internal Server Error', request_id: 'req-1' } }",
      "type Html = Get['responses']['5XX']['content']['text/html']",
      "const page: Html = '<html></html>'",
      "type Other = Get['responses']['4XX']['content']['application/json']",
      "const limited: Other = { error: { status: 429, message: 'Too Many Requests', request_id: 'req-1' } }",
      "// @ts-expect-error a 404 body says customer_not_found, nothing else",
      "const wrong: NotFound = { error: 'no_such_customer', message: 'x' }",
      'export const used: unknown[] = [missing, fault, down, page, limited, wrong]',
    ].join('\n')
    expect(typecheck({ 'api.ts': api, 'client.ts': client })).toEqual([])
  })
})
