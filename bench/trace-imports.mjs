// node --import ./bench/trace-imports.mjs …: appends every package an ES import resolves to
// (static or dynamic) to the file named by CKIT_TRACE_IMPORTS. The start-up benchmark uses it to
// show what the mock loads before its first answer.
import { register } from 'node:module'

register(new URL('./trace-imports-hooks.mjs', import.meta.url), { data: { file: process.env.CKIT_TRACE_IMPORTS } })
