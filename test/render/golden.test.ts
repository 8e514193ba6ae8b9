import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { pageHtml, render, renderText, sidebarHtml } from '../../src/render/index.js'
import type { CustomerConnectionResponse } from '../../src/schema/index.js'
import { cli, fixturePath, readFixture } from '../helpers.js'

// Golden files are reviewed like code; UPDATE_GOLDEN=1 rewrites them after an intended change.
const golden = (name: string, actual: string): void => {
  const url = new URL(`../fixtures/render/${name}`, import.meta.url)
  if (process.env['UPDATE_GOLDEN']) writeFileSync(url, actual)
  expect(actual).toBe(readFileSync(url, 'utf8'))
}

const seed = readFixture('examples/seed-response.json') as CustomerConnectionResponse

describe('the seed example renders to the expected sidebar', () => {
  const result = render(seed)

  it('as data', () => {
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    golden('seed-response.json', `${JSON.stringify(result, null, 2)}\n`)
  })

  it('as terminal text', () => golden('seed-response.txt', renderText(result)))

  it('as HTML (fragment and page)', () => {
    golden('seed-response.fragment.html', `${sidebarHtml(result)}\n`)
    expect(pageHtml(sidebarHtml(result))).toContain(sidebarHtml(result))
  })

  it('as OSC-8 hyperlinks on a terminal', () => {
    const styled = renderText(result, { styled: true })
    expect(styled).toContain('\u001b]8;;https://example.com/customer/customer_12345\u001b\\')
    expect(styled).toContain('\u001b[1mList section\u001b[22m')
  })

  it('through ckit render in each format', async () => {
    const file = fixturePath('examples/seed-response.json')
    const text = await cli(['render', file])
    expect(text).toMatchObject({ code: 0, stdout: renderText(result), stderr: '' })
    const json = await cli(['render', file, '--format', 'json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, sections: JSON.parse(JSON.stringify(result.sections)) })
    const html = await cli(['render', file, '--format', 'html', '--fragment'])
    expect(html.stdout).toBe(`${sidebarHtml(result)}\n`)
    const page = await cli(['render', file, '--format', 'html'])
    expect(page.stdout).toMatch(/^<!doctype html>/)
    expect(page.stdout).toContain("Content-Security-Policy")
  })
})
