import { Parser } from '@asyncapi/parser'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import openapiTS, { astToString } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { eventCatalogue } from '../../src/schema/index.js'
import { asyncApiDocument } from '../../src/webhooks/index.js'
import { cli } from '../helpers.js'

describe('webhooks described where receivers look', () => {
  let mock: RunningMock
  let openapi: { webhooks: Record<string, { post: { parameters: { name: string }[]; requestBody: unknown } }> }
  beforeAll(async () => {
    mock = await startMock({ port: 0 })
    openapi = (await (await fetch(`${mock.origin}/openapi.json`)).json()) as typeof openapi
  })
  afterAll(() => mock.close())

  it('the OpenAPI document lists every event under webhooks, with the signed headers, and still lints clean', async () => {
    expect(Object.keys(openapi.webhooks).sort()).toEqual([...eventCatalogue().keys()].sort())
    expect(openapi.webhooks['message.created']!.post.parameters.map((p) => p.name)).toEqual(['X_YETTO_SIGNATURE', 'X_YETTO_EVENT', 'X_YETTO_DELIVERY', 'X_YETTO_TIMESTAMP'])
    const config = await createConfig({ extends: ['spec'] } as never)
    const problems = await lintFromString({ source: JSON.stringify(openapi), absoluteRef: `${mock.origin}/openapi.json`, config } as never)
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message}`)).toEqual([])
    const ts = astToString(await openapiTS(openapi as never))
    expect(ts).toMatch(/export interface webhooks \{[\s\S]*"message.created"/)
  })

  it('the AsyncAPI 3.0 document parses with the official parser, without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiDocument() as never)
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} ${d.path.join('/')}`)).toEqual([])
    expect(document?.channels().length).toBe(eventCatalogue().size)
    expect(document?.operations().all().every((o) => o.action() === 'receive')).toBe(true)
  })

  it('ckit webhooks spec writes either document', async () => {
    const asyncapi = await cli(['webhooks', 'spec', '--format', 'asyncapi'])
    expect(JSON.parse(asyncapi.stdout)).toMatchObject({ asyncapi: '3.0.0' })
    const webhooksOnly = await cli(['webhooks', 'spec', '--format', 'openapi'])
    expect(Object.keys((JSON.parse(webhooksOnly.stdout) as { webhooks: object }).webhooks)).toHaveLength(eventCatalogue().size)
  })
})
