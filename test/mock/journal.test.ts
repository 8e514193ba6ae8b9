import { afterEach, describe, expect, it, vi } from 'vitest'
import { isoNow } from '../../src/mock/journal.js'

describe('isoNow', () => {
  afterEach(() => vi.useRealTimers())

  it('is the current time, formatted again as soon as the millisecond changes', () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-12-01T10:00:00.000Z'))
    expect(isoNow()).toBe('2026-12-01T10:00:00.000Z')
    expect(isoNow()).toBe('2026-12-01T10:00:00.000Z')
    vi.setSystemTime(new Date('2026-12-01T10:00:00.001Z'))
    expect(isoNow()).toBe('2026-12-01T10:00:00.001Z')
    vi.setSystemTime(new Date('2027-01-01T00:00:00.000Z'))
    expect(isoNow()).toBe('2027-01-01T00:00:00.000Z')
  })
})
