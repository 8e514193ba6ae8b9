// One mock for the whole run, each test file in a session of its own: files run in parallel
// (vitest's default), and a file's scenarios, runtime customers and journal are only its own.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['./global-setup.mjs'],
    include: ['*.test.mjs'],
  },
})
