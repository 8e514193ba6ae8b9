import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, readSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BatchedWriter, chunkEnd, redactQueryToken } from '../../src/mock/log.js'

describe('the stderr log writer', () => {
  it('cuts every batch into writes of at most 4 KiB that end after a line, covering it exactly', () => {
    const line = fc.string({ maxLength: 600, unit: 'binary' }).map((text) => `${text.replace(/\n/g, ' ')}\n`)
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), (lines) => {
        const data = Buffer.from(lines.join(''))
        let offset = 0
        while (offset < data.length) {
          const end = chunkEnd(data, offset)
          expect(end).toBeGreaterThan(offset)
          const piece = data.subarray(offset, end)
          expect(piece[piece.length - 1]).toBe(0x0a)
          // Only a single line longer than 4 KiB may exceed it, and then it is that one line.
          if (piece.length > 4096) expect(piece.indexOf(0x0a)).toBe(piece.length - 1)
          offset = end
        }
        expect(offset).toBe(data.length)
      }),
    )
  })

  it('drops what a stalled reader cannot take, says how many once it reads again, and closes in bounded time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckit-log-'))
    const fifo = join(dir, 'stderr')
    execFileSync('mkfifo', [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
    const writer = new BatchedWriter(fd)
    try {
      const line = `${JSON.stringify({ msg: 'request completed', pad: 'x'.repeat(230) })}\n`
      // 6 MB of lines into a 64 KiB pipe nobody reads: the queue stops at 4 M characters.
      for (let i = 0; i < 24_000; i++) writer.write(line)
      await new Promise((resolve) => setTimeout(resolve, 300))
      // Now the reader drains the pipe until the writer has said what it dropped.
      let text = ''
      const chunk = Buffer.alloc(65_536)
      const deadline = Date.now() + 20_000
      while (!text.includes('"dropped"') && Date.now() < deadline) {
        try {
          const n = readSync(reader, chunk)
          text += chunk.toString('utf8', 0, n)
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
      const notice = text.split('\n').find((l) => l.includes('"dropped"'))!
      expect(JSON.parse(notice)).toMatchObject({ level: 40, dropped: expect.any(Number), msg: expect.stringContaining('stderr was not read') })
      expect((JSON.parse(notice) as { dropped: number }).dropped).toBeGreaterThan(1000)
      // Every line that did arrive is whole.
      for (const l of text.split('\n').slice(0, -1)) expect(() => JSON.parse(l)).not.toThrow()
      // The reader stalls again with lines queued: close() gives up rather than waiting for it.
      for (let i = 0; i < 2_000; i++) writer.write(line)
      const started = Date.now()
      await writer.end()
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      closeSync(fd)
      closeSync(reader)
    }
  })
})

describe('many mocks in one process', () => {
  it('share one exit listener, so a test suite that starts a dozen gets no MaxListenersExceededWarning', async () => {
    const devNull = openSync('/dev/null', 'w')
    const first = new BatchedWriter(devNull)
    const listeners = process.listenerCount('exit')
    const more = Array.from({ length: 12 }, () => new BatchedWriter(devNull))
    expect(process.listenerCount('exit')).toBe(listeners)
    await Promise.all([first, ...more].map((writer) => writer.end()))
    closeSync(devNull)
  })
})

describe('redactQueryToken', () => {
  it('hides the token however its name is spelled or percent-encoded, up to the next &', () => {
    expect(redactQueryToken('/__admin/preview?email=k@example.com&token=abc')).toBe('/__admin/preview?email=k@example.com&token=[redacted]')
    expect(redactQueryToken('/p?TOKEN=abc&x=1')).toBe('/p?TOKEN=[redacted]&x=1')
    expect(redactQueryToken('/p?%74oken=abc')).toBe('/p?%74oken=[redacted]')
    expect(redactQueryToken('/p?tok%65n=abc#def')).toBe('/p?tok%65n=[redacted]')
    expect(redactQueryToken('/p?tokens=abc')).toBe('/p?tokens=abc')
  })
})
