import { createConfig, lintFromString } from '@redocly/openapi-core'
import openapiTS, { astToString } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { studioPlugin } from '../../src/studio/index.js'

/** The mock's OpenAPI document, as code generators and linters read it. */
let mock: RunningMock
let doc: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- an OpenAPI document walked by path
beforeAll(async () => {
  mock = await startMock({ port: 0, studio: studioPlugin })
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
    expect(href).toMatchObject({ $ref: '#/components/schemas/CustomerConnectionResponse-template', description: expect.stringContaining('absolute https:, http: or mailto: URL'), examples: expect.any(Array) })
  })

  it('describes the request as the mock checks it: required signature, tolerated padding, refusals with errors[]', () => {
    const operation = doc['paths']['/{pathParameter}'].get
    // The signature is a security requirement of the operation (so required), declared as its header.
    const signature = doc['components'].securitySchemes.yettoSignature
    expect(signature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X_YETTO_SIGNATURE' })
    expect(signature.description).not.toMatch(/[<>]/)
    const pattern = new RegExp(operation.parameters.find((p: { name: string }) => p.name === 'pathParameter').schema.pattern)
    expect(['eyJhIjoxfQ', 'eyJhIjoxfQ==', 'eyJhIjoxfQ='].every((p) => pattern.test(p))).toBe(true)
    expect(operation.responses['400'].content['application/json'].schema.properties.errors.items.properties.pointer).toBeDefined()
    expect(operation.security).toEqual([{ yettoSignature: [] }])
  })

  it('declares the admin token and the admin answers', () => {
    expect(doc['components'].securitySchemes).toMatchObject({ adminToken: { type: 'http', scheme: 'bearer' }, adminTokenQuery: { in: 'query', name: 'token' } })
    const reset = doc['paths']['/__admin/reset'].post
    expect(Object.keys(reset.responses)).toEqual(expect.arrayContaining(['200', '401', '415', '421']))
    expect(doc['paths']['/__admin/preview'].get.security).toContainEqual({ adminTokenQuery: [] })
  })
})
