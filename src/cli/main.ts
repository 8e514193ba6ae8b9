#!/usr/bin/env node
import { runCli } from './index.js'
import { settleGuarded } from './settle-guard.js'

// `ckit … | head` closes the pipe early: that is the reader being done, not an error to report.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw error
})
// Nobody reading stderr (messages, the mock's log) is no reason to stop: the work and stdout go on.
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

process.exitCode = await settleGuarded(runCli(process.argv.slice(2)))
