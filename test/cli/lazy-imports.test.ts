import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MOCK_DEFAULTS } from '../../src/mock/index.js'
import { buildSignedRequest } from '../../src/signature/index.js'

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))
const TRACE = fileURLToPath(new URL('../../bench/trace-imports.mjs', import.meta.url))

// The mock's start-up is the main job users run (npm start, CI service containers): the
// packages only other commands or later requests need must not load before its first answer.
// A static import anywhere in the command table (ckit validate once imported the renderer) loads
// them for every command; the start-up benchmark measured +270 ms when it happened.
describe('ckit mock start-up', () => {
  it('answers its first request without loading liquidjs, Faker, json-schema-faker, swagger or pino-pretty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-lazy-'))
    const traceFile = join(dir, 'imports.txt')
    const child = spawn(process.execPath, ['--import', TRACE, MAIN, 'mock', '--port', '0', '--json'], { env: { ...process.env, CKIT_TRACE_IMPORTS: traceFile }, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const match = /"url":\s*"([^"]+)"/.exec(out)
          if (match) resolve(match[1]!)
        })
        child.once('exit', (code) => reject(new Error(`ckit mock exited ${code}: ${out}`)))
      })
      const request = buildSignedRequest({ url, secret: MOCK_DEFAULTS.secret!, context: { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'c1' }, requester: { email: 'kelly@example.com' } } })
      const answer = await fetch(request.url, { headers: request.headers })
      expect(answer.status).toBe(200)
      const loaded = new Set(readFileSync(traceFile, 'utf8').split('\n').filter(Boolean))
      expect(loaded.has('fastify')).toBe(true)
      for (const lazy of ['liquidjs', '@faker-js/faker', 'json-schema-faker', '@fastify/swagger', '@fastify/swagger-ui', 'pino-pretty']) expect(loaded.has(lazy), lazy).toBe(false)
    } finally {
      child.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)
})
