import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { getRegistry, SCHEMA_BASE_ID } from '../../schema/index.js'

/**
 * The contract's schemas as OpenAPI components, derived from the loaded files (not a copy kept
 * by hand): each file becomes `<Title>`, each of its $defs `<Title>-<name>`, and every $ref —
 * local or across files — is rewritten to point at those components.
 */
export function contractComponents(): Record<string, Record<string, unknown>> {
  const schemas = getRegistry().schemas
  const titleOf = new Map([...schemas].map(([file, schema]) => [file, String(schema['title'])]))
  const componentRef = (ref: string, file: string): string => {
    const [target = '', pointer = ''] = ref.split('#')
    const targetFile = target === '' ? file : target.replace(SCHEMA_BASE_ID, '')
    const title = titleOf.get(targetFile) ?? targetFile
    const def = pointer.startsWith('/$defs/') ? pointer.slice('/$defs/'.length) : ''
    return `#/components/schemas/${def ? `${title}-${def}` : title}`
  }
  const rewrite = (node: unknown, file: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, file))
    if (node === null || typeof node !== 'object') return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || key === '$id' || key === '$defs') continue
      out[key] = key === '$ref' && typeof value === 'string' ? componentRef(value, file) : key === 'examples' || key === 'const' || key === 'enum' ? value : rewrite(value, file)
    }
    return out
  }
  const components: Record<string, Record<string, unknown>> = {}
  for (const [file, schema] of schemas) {
    const title = titleOf.get(file)!
    components[title] = rewrite(schema, file) as Record<string, unknown>
    for (const [name, def] of Object.entries((schema['$defs'] ?? {}) as Record<string, unknown>)) {
      components[`${title}-${name}`] = rewrite(def, file) as Record<string, unknown>
    }
  }
  return components
}

/**
 * OpenAPI 3.1 from the route schemas, with the contract in components.schemas: 3.1 speaks JSON
 * Schema 2020-12, so the files go in as they are. They are not fastify shared schemas, because
 * fastify's draft-07 validator would try to compile them. Registered before the routes, because
 * @fastify/swagger collects routes as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'connection-kit mock customer endpoint',
        description: 'A faker-powered customer-connection endpoint with fault scenarios, for QA and help-desk failure testing. The customer data contract is in components.schemas.',
        version: '2024-03-06',
      },
      tags: [{ name: 'customer connection' }, { name: 'admin' }],
      components: { schemas: contractComponents() as never },
    },
  })
}

/** Swagger UI at /docs and the document at /openapi.json. */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
