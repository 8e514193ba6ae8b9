#!/usr/bin/env node
// Compiles every schema kind ahead of time with ajv's standalone code generator into
// src/schema/validators/<kind>.generated.ts, so start-up never pays for ajv compilation (style guide:
// "work at build time when you can"). `npm run gen:validators` rewrites it; a test fails on drift.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { _ } from 'ajv/dist/compile/codegen/index.js'
import standaloneModule from 'ajv/dist/standalone/index.js'
import addFormatsModule from 'ajv-formats'
// The kind list has one home; run with tsx (npm run gen:validators) so this TS import works.
import { KINDS } from '../src/schema/kinds.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const BASE = 'https://connection-kit.dev/schemas/'

/** One self-contained module per kind (ajv standalone repeats a shared schema's function when
 * several exports in one module reach it). */
export function generateValidators() {
  const modules = {}
  for (const [kind, file] of Object.entries(KINDS)) {
    const ajv = new Ajv2020({
      allErrors: true,
      verbose: true,
      strict: true,
      strictRequired: false,
      strictTypes: false,
      discriminator: true,
      code: { source: true, esm: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
    })
    addFormatsModule.default(ajv)
    ajv.addKeyword({ keyword: 'x-payload', schemaType: 'string' })
    for (const schemaFile of readdirSync(`${root}schemas`).filter((f) => f.endsWith('.schema.json')).sort()) {
      ajv.addSchema(JSON.parse(readFileSync(`${root}schemas/${schemaFile}`, 'utf8')))
    }
    const code = standaloneModule.default(ajv, { validate: BASE + file })
    modules[kind] = [
      '// @ts-nocheck',
      '/* eslint-disable */',
      `// Generated from schemas/${file} by scripts/gen-validators.mjs (npm run gen:validators). Do not edit.`,
      "import { createRequire } from 'node:module'",
      'const require = createRequire(import.meta.url)',
      code.replace(/^"use strict";/, ''),
      '',
    ].join('\n')
  }
  return modules
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [kind, code] of Object.entries(generateValidators())) {
    writeFileSync(`${root}src/schema/validators/${kind}.generated.ts`, code)
    console.error(`wrote src/schema/validators/${kind}.generated.ts`)
  }
}
