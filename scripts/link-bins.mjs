// Links this package's own bins into node_modules/.bin after `npm ci` in a checkout (run by
// `prepare`). npm links the bins of dependencies only, so `npx ckit` in the repo used to install
// the repo into npx's cache and rebuild it, silently, for 10-30 s before answering.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const binDir = join(root, 'node_modules', '.bin')
if (!existsSync(join(root, 'node_modules'))) process.exit(0)
mkdirSync(binDir, { recursive: true })
for (const [name, target] of Object.entries(bin)) {
  const link = join(binDir, name)
  rmSync(link, { force: true })
  symlinkSync(relative(binDir, join(root, target)), link)
}
