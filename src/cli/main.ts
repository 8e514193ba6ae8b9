#!/usr/bin/env node
import { runCli } from './index.js'
import { settleGuarded } from './settle-guard.js'

// `ckit … | head` closes the pipe early: that is the reader being done, not an error to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
}

process.exitCode = await settleGuarded(runCli(process.argv.slice(2)))
