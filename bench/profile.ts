// npm run bench:profile [repeated|fresh|bare] [seconds]: runs the built `ckit mock` (default
// logging) under `node --cpu-prof`, loads it with autocannon, and prints the functions with the
// most self time. `bare` profiles the bare fastify route instead, serving the mock's own answer, to
// tell what fastify and the socket cost anyway. This is how the optimisations in
// docs/performance.md were chosen.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { identityRequests, signedRequest } from './load.js'
import { bareCommand, firstOk, freePort, mockCommand, peerFiles, startTarget } from './targets.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

const target = process.argv[2] === 'bare' ? 'bare' : 'mock'
const mode = process.argv[2] === 'fresh' ? 'fresh' : 'repeated'
const seconds = Number(process.argv[3] ?? 8)
const dir = mkdtempSync(join(tmpdir(), 'ckit-profile-'))
const logs = openSync(join(dir, 'mock.log'), 'w')
const profiled = (args: string[]) => spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args], { stdio: ['ignore', 'ignore', logs] })
let child
let url
if (target === 'mock') {
  const port = await freePort()
  child = profiled(mockCommand(port))
  url = `http://127.0.0.1:${port}/`
} else {
  const port = await freePort()
  const mock = await startTarget(mockCommand(port, ['--log', 'off']), port, signedRequest(`http://127.0.0.1:${port}/`, 'repeat@example.com'))
  const { bodyFile } = await peerFiles(mock.url, signedRequest(mock.url, 'repeat@example.com'), dir)
  await mock.stop()
  child = profiled(bareCommand(port, bodyFile))
  url = mock.url
}
const probe = signedRequest(url, 'repeat@example.com')
await firstOk(new URL(probe.path, url).href, probe.headers, performance.now(), child)
const result = await autocannon({ url, connections: 16, duration: seconds, requests: identityRequests(url, mode) })
child.kill('SIGTERM')
await once(child, 'exit')

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] }
const self = new Map<string, number>()
let total = 0
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0
  total += hits
  const where = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/')
  const key = `${node.callFrame.functionName || '(anonymous)'}  ${where}:${node.callFrame.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + hits)
}
console.log(`${target === 'bare' ? 'bare fastify' : `${mode} identity`}, ${Math.round(result.requests.average)} req/s over ${seconds} s; profile ${join(dir, file)}`)
console.log('self %   function  location')
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((hits / total) * 100).toFixed(1).padStart(6)}  ${key}`)
