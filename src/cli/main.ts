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

// What stderr still holds for a reader that has stopped reading (a wedged log collector behind a
// pipe) would keep a finished command alive until that reader comes back, if ever. It gets a
// second; stdout's data is never cut short.
const STDERR_DRAIN_MS = 1000
const drainDeadline = Date.now() + STDERR_DRAIN_MS
while (process.stderr.writableLength > 0 && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 10))
if (process.stderr.writableLength > 0 && process.stdout.writableLength === 0) process.exit()
