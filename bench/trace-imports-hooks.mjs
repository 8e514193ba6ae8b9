// Module hooks for trace-imports.mjs: they run on the loader thread, so they write to a file.
import { appendFileSync } from 'node:fs'

let file
export function initialize(data) {
  file = data.file
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context)
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(result.url)
  if (file && match) appendFileSync(file, `${match[1]}\n`)
  return result
}
