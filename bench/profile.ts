// npm run bench:profile [repeated|fresh] [seconds]: runs the built `ckit mock` (default logging)
// under `node --cpu-prof`, loads it with autocannon, and prints the functions with the most self
// time. This is how the optimisations in docs/performance.md were chosen.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { identityRequests, MOCK_SECRET } from './load.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

const mode = process.argv[2] === 'fresh' ? 'fresh' : 'repeated'
const seconds = Number(process.argv[3] ?? 8)
const dir = mkdtempSync(join(tmpdir(), 'ckit-profile-'))
const main = new URL('../dist/cli/main.js', import.meta.url).pathname
const logs = openSync(join(dir, 'mock.log'), 'w')
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, main, 'mock', '--port', '0', '--json', '--secret', MOCK_SECRET], { stdio: ['ignore', 'pipe', logs] })
const [line] = (await once(child.stdout!, 'data')) as [Buffer]
const { url } = JSON.parse(line.toString()) as { url: string }
const result = await autocannon({ url, connections: 16, duration: seconds, requests: identityRequests(url, mode) })
child.kill('SIGINT')
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
console.log(`${mode} identity, ${Math.round(result.requests.average)} req/s over ${seconds} s; profile ${join(dir, file)}`)
console.log('self %   function  location')
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((hits / total) * 100).toFixed(1).padStart(6)}  ${key}`)
