// `npm pack` / `npm publish` ship package.json as it is on disk when packing starts, so the repo's
// own lifecycle scripts would reach every consumer: `prepare` (build + link our bins, which needs
// the sources the package does not ship) made npm warn "install-scripts … connection-kit" on
// every install. prepack strips them (keeping the original beside it), postpack puts it back.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const manifest = join(root, 'package.json')
const original = join(root, '.package.json.prepack')
/** Scripts that only make sense in a checkout of this repo. */
const REPO_ONLY = ['prepare', 'prepack', 'postpack']

const mode = process.argv[2]
if (mode === 'strip') {
  // A pack that failed before postpack left the original here: restore it rather than lose it.
  if (existsSync(original)) renameSync(original, manifest)
  const text = readFileSync(manifest, 'utf8')
  writeFileSync(original, text)
  const pkg = JSON.parse(text)
  for (const name of REPO_ONLY) delete pkg.scripts?.[name]
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`)
} else if (mode === 'restore') {
  if (existsSync(original)) renameSync(original, manifest)
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore')
  process.exit(2)
}
