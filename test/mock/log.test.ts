import { execFileSync } from 'node:child_process'
import { closeSync, constants, createWriteStream, mkdtempSync, openSync, readSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { BatchedWriter, chunkEnd, createMockLog, formatRequestLine, jsonString, redactQueryToken, type RequestLine } from '../../src/mock/log.js'

/** A 240-character log line. */
const line = `${JSON.stringify({ msg: 'request completed', pad: 'x'.repeat(230) })}\n`

/** A writer into a fifo that nobody reads yet, and the fifo's read end (non-blocking) to read it when the test says. */
function stalledPipe() {
  const fifo = join(mkdtempSync(join(tmpdir(), 'ckit-log-')), 'stderr')
  execFileSync('mkfifo', [fifo])
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  // The pipe as Node makes process.stderr of one: a socket that writes without blocking.
  const sink = new Socket({ fd: openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true })
  return { reader, sink, writer: new BatchedWriter(sink) }
}

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
    const { reader, sink, writer } = stalledPipe()
    try {
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
      sink.destroy()
      closeSync(reader)
    }
  })
})

describe('closing while the reader is behind', () => {
  it('still writes how many lines were dropped once the reader catches up before close() gives up', async () => {
    const { reader, sink, writer } = stalledPipe()
    try {
      for (let i = 0; i < 24_000; i++) writer.write(line)
      // close() starts while nobody reads; the reader comes back 200 ms later and reads to the end.
      const ended = writer.end()
      await new Promise((resolve) => setTimeout(resolve, 200))
      let text = ''
      const chunk = Buffer.alloc(65_536)
      let closed = false
      void ended.then(() => (closed = true))
      for (let idle = 0; idle < 40; ) {
        try {
          const n = readSync(reader, chunk)
          text += chunk.toString('utf8', 0, n)
          idle = 0
        } catch {
          idle += closed ? 1 : 0
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
      const notice = text.split('\n').find((l) => l.includes('"dropped"'))
      expect(notice).toBeDefined()
      const arrived = text.split('\n').filter((l) => l.includes('request completed')).length
      // Every line is either delivered or counted.
      expect(arrived + (JSON.parse(notice!) as { dropped: number }).dropped).toBe(24_000)
    } finally {
      sink.destroy()
      closeSync(reader)
    }
  })
})

describe('many mocks in one process', () => {
  it('share one exit listener and one error listener on stderr, so a test suite that starts a dozen gets no MaxListenersExceededWarning', async () => {
    const devNull = createWriteStream('/dev/null')
    const first = new BatchedWriter(devNull)
    const listeners = [process.listenerCount('exit'), devNull.listenerCount('error')]
    const more = Array.from({ length: 12 }, () => new BatchedWriter(devNull))
    expect([process.listenerCount('exit'), devNull.listenerCount('error')]).toEqual(listeners)
    await Promise.all([first, ...more].map((writer) => writer.end()))
    devNull.destroy()
  })

  it('leave no pino-pretty worker or exit listener behind once closed', async () => {
    const listeners = process.listenerCount('exit')
    const logs = Array.from({ length: 3 }, () => createMockLog('pretty')!)
    expect(process.listenerCount('exit')).toBeGreaterThan(listeners)
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
    const before = timers()
    await Promise.all(logs.map((log) => log.end()))
    expect(process.listenerCount('exit')).toBe(listeners)
    // Nor a timer that would hold a stopping process for the rest of close()'s one-second bound.
    expect(timers()).toBeLessThanOrEqual(before)
  })
})

describe('the request line', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 })
  const maybe = <T,>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined })
  const status = fc.option(fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY)), { nil: null })
  const requestLine: fc.Arbitrary<RequestLine> = fc.record({
    reqId: text, journalId: maybe(fc.nat()), method: text, url: text, reason: maybe(text), status, ms: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null }),
    email: maybe(text), scenario: maybe(text), signature: maybe(text), note: maybe(text),
  })
  const head = `,"pid":42,"hostname":${jsonString('vm-\u009b')}`

  it('is one line of ASCII JSON holding exactly the fields given, for any strings in them', () => {
    fc.assert(
      fc.property(requestLine, (line) => {
        const out = formatRequestLine(head, line)
        expect(out.endsWith('}\n')).toBe(true)
        expect(out.slice(0, -1)).toMatch(/^[\x20-\x7e]*$/)
        const parsed = JSON.parse(out) as Record<string, unknown>
        const finite = (n: number | null) => (n !== null && Number.isFinite(n) ? n : null)
        const expected = Object.fromEntries(Object.entries({ ...line, status: finite(line.status), ms: finite(line.ms) }).filter(([, v]) => v !== undefined))
        expect(parsed).toEqual({ level: 30, time: expect.any(Number), pid: 42, hostname: 'vm-\u009b', ...expected, msg: 'request completed' })
      }),
    )
  })

  it('is the line pino writes for the same fields (key order included), so readers of pino logs read it unchanged', () => {
    const lines: string[] = []
    const logger = pino({ level: 'info', base: { pid: 42, hostname: 'vm' }, timestamp: () => ',"time":7' }, { write: (l: string) => void lines.push(l) })
    fc.assert(
      fc.property(fc.record({ reqId: fc.string(), journalId: fc.nat(), method: fc.constantFrom('GET', 'POST'), url: fc.webPath(), reason: maybe(fc.string()), status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }), ms: fc.option(fc.double({ min: 0, max: 1e4, noNaN: true }), { nil: null }), email: maybe(fc.emailAddress()), scenario: maybe(fc.string()), signature: maybe(fc.constantFrom('ok', 'mismatch')), note: maybe(fc.string()) }), (line) => {
        lines.length = 0
        logger.info(line, 'request completed')
        const ours = formatRequestLine(',"pid":42,"hostname":"vm"', line).replace(/"time":\d+/, '"time":7')
        expect(Object.keys(JSON.parse(ours) as object)).toEqual(Object.keys(JSON.parse(lines[0]!) as object))
        expect(JSON.parse(ours)).toEqual(JSON.parse(lines[0]!))
      }),
    )
  })

  it('keeps terminal controls, bidirectional overrides and line separators escaped', () => {
    for (const hostile of ['\u001b[31mred', '\u009b31m', 'a\u202eb', 'x\u2028y', 'tab\there', 'quote"back\\slash'])
      expect(jsonString(hostile)).toMatch(/^"[\x20-\x7e]*"$/)
    expect(jsonString('/…')).toBe('"/\\u2026"')
    expect(JSON.parse(jsonString('😀 \ud800'))).toBe('😀 \ud800')
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
