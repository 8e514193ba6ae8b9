// Child process for mock-rps.bench.ts: serves one target and prints its URL on stdout.
import Fastify from 'fastify'
import { startMock } from '../src/mock/index.js'
import { tenSectionResponse } from './render.bench.js'

const kind = process.argv[2]
if (kind === 'mock') {
  const mock = await startMock({ port: 0, secret: 'bench-secret' })
  console.log(mock.url)
} else {
  // The floor: a bare fastify route sending a static JSON body of the same shape and size class.
  const app = Fastify({ routerOptions: { maxParamLength: 8192 } })
  const body = JSON.stringify(tenSectionResponse())
  app.get('/:pathParameter', async (_request, reply) => reply.header('content-type', 'application/json').send(body))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  console.log(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`)
}
process.once('SIGTERM', () => process.exit(0))
