// The physical limit for the HTTP benchmarks: fastify with default options, one route answering a
// static JSON body read from a file (the mock's own answer), nothing else. Plain JS, run by node.
// Usage: node bench/bare-server.mjs <port> <body.json>
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const [port, bodyFile] = process.argv.slice(2)
const body = readFileSync(bodyFile, 'utf8')
const app = Fastify({ routerOptions: { maxParamLength: 8192 } })
app.get('/:pathParameter', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body))
await app.listen({ port: Number(port), host: '127.0.0.1' })
process.once('SIGTERM', () => app.close().then(() => process.exit(0)))
