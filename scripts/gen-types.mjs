#!/usr/bin/env node
// Generates src/schema/types.generated.ts from schemas/ so the TypeScript types can never drift
// from the contract. `npm run gen:types` rewrites it; test/schema/types.test.ts fails on drift.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compile } from 'json-schema-to-typescript'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = `${root}schemas/`
const BASE = 'https://connection-kit.dev/schemas/'

/** Inlines cross-file refs as local refs into one bundle, so no resolver ever fetches a URL. */
export async function generateTypes() {
  const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort()
  const bundle = { title: 'ConnectionKitDocuments', type: 'object', additionalProperties: false, properties: {}, $defs: {} }
  const key = (file) => file.replace('.schema.json', '')
  // Branches that only say which properties must be present (`required`/`not`) constrain
  // values, not shapes; left in, they turn every type into an intersection with an index signature.
  const onlyPresence = (branches) =>
    Array.isArray(branches) && branches.every((b) => Object.keys(b).every((k) => k === 'required' || k === 'not'))
  const rewrite = (node, file) => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, file))
    if (!node || typeof node !== 'object') return node
    // A $ref with sibling annotations would become a fresh alias (Template1, Template2…): keep the ref.
    if (typeof node.$ref === 'string') node = { $ref: node.$ref }
    if (onlyPresence(node.anyOf)) node = { ...node, anyOf: undefined }
    if (onlyPresence(node.oneOf)) node = { ...node, oneOf: undefined }
    if (node.anyOf && node.type) node = { ...node, type: undefined }
    const out = {}
    for (const [k, v] of Object.entries(node)) {
      if (v === undefined) continue
      if (k === '$id' || k === '$schema' || k === 'examples' || k === 'discriminator' || k === 'x-payload') continue
      if (k === '$ref' && typeof v === 'string') {
        const [target, pointer = ''] = v.split('#')
        const targetFile = target === '' ? file : target.replace(BASE, '')
        const defs = pointer.startsWith('/$defs/') ? pointer.slice('/$defs/'.length) : ''
        out[k] = defs ? `#/$defs/${key(targetFile)}__${defs}` : `#/$defs/${key(targetFile)}`
        continue
      }
      out[k] = k === '$defs' ? v : rewrite(v, file)
    }
    return out
  }
  for (const file of files) {
    const schema = JSON.parse(readFileSync(dir + file, 'utf8'))
    const { $defs = {}, ...main } = rewrite(schema, file)
    for (const [name, def] of Object.entries($defs)) bundle.$defs[`${key(file)}__${name}`] = rewrite(def, file)
    // A file that only holds $defs (webhook-objects) contributes its definitions, not a document.
    if (main.type || main.anyOf || main.oneOf || main.const) {
      bundle.$defs[key(file)] = main
      bundle.properties[key(file)] = { $ref: `#/$defs/${key(file)}` }
    }
  }
  const ts = await compile(bundle, 'ConnectionKitDocuments', {
    bannerComment: '/* Generated from schemas/ by scripts/gen-types.mjs (npm run gen:types). Do not edit. */',
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    // Bounded arrays (actions ≤ 20) would otherwise become unions of 20 tuple types.
    maxItems: 5,
    style: { singleQuote: true, semi: false, printWidth: 120 },
    format: true,
  })
  return ts
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ts = await generateTypes()
  writeFileSync(`${root}src/schema/types.generated.ts`, ts)
  console.error('wrote src/schema/types.generated.ts')
}
