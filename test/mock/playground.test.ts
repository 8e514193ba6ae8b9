import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMock, type RunningMock } from '../../src/mock/index.js'
import { checkForPlayground, deskPlugin } from '../../src/desk/index.js'
import { startCli } from '../helpers.js'

/** The bits of the page's globals the browser test reads (the test's TypeScript has no DOM types). */
type Page = { document: { querySelector(selector: string): { textContent: string | null } | null; querySelectorAll(selector: string): { length: number } }; pwned?: boolean }

describe('the playground checks', () => {
  it('locates each issue on its line, with hints, and draws the sidebar escaped', async () => {
    const text = '{\n  "version": "2024-03-06",\n  "customer": { "name": "<b>Kelly</b>" },\n  "sections": [\n    { "type": "link", "title": "x" },\n    { "type": "list", "title": "{{ data.customer.name }}", "items": [] }\n  ]\n}'
    const invalid = await checkForPlayground(text, false)
    expect(invalid.issues).toEqual([expect.objectContaining({ level: 'error', pointer: '/sections/0/href', line: 5 })])
    const valid = await checkForPlayground(text.replace('"title": "x" }', '"title": "x", "href": "https://x.example" }'), false)
    expect(valid.issues).toEqual([])
    expect(valid.html).toContain('&lt;b&gt;Kelly&lt;/b&gt;')
    expect((await checkForPlayground('{"a": 1,}', false)).issues[0]).toMatchObject({ line: 1, message: expect.stringMatching(/trailing comma/) })
  })
})

describe('served pages', () => {
  let mock: RunningMock
  beforeAll(async () => {
    mock = await startMock({ port: 0, secret: 's', adminToken: 'admin-token-xyz', desk: deskPlugin })
  })
  afterAll(() => mock.close())

  it('the mock serves it at /__admin/playground/ with a script-only-from-self CSP; the API needs the token', async () => {
    const page = await fetch(`${mock.origin}/__admin/playground/?token=admin-token-xyz`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/)
    expect(await page.text()).toContain('<script src="./playground.js"></script>')
    expect((await fetch(`${mock.origin}/__admin/playground/playground.js`)).status).toBe(200)
    const api = (auth: boolean) => fetch(`${mock.origin}/__admin/playground/api/check`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: 'Bearer admin-token-xyz' } : {}) }, body: JSON.stringify({ text: '{}' }) })
    expect((await api(false)).status).toBe(401)
    const checked = (await (await api(true)).json()) as { issues: { pointer: string }[] }
    expect(checked.issues.map((i) => i.pointer)).toEqual(expect.arrayContaining(['/version']))
  })

  it('the page works in a real browser: issues appear as you type, and the sidebar renders', async () => {
    const chromium = process.env['CKIT_CHROMIUM'] ?? '/usr/bin/chromium'
    expect(existsSync(chromium), 'Chromium is installed by .ci/run').toBe(true)
    const running = await startCli(['playground', '--port', '0', '--json'])
    const { url } = JSON.parse(running.firstLine) as { url: string }
    const { chromium: launcher } = await import('playwright-core')
    const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] })
    try {
      const page = await browser.newPage()
      await page.goto(url)
      await page.waitForSelector('#sidebar .ckit-sidebar')
      await page.fill('#source', '{"version": "2024-03-06", "customer": {}, "sections": [{"type": "link", "title": "Stripe"}]}')
      await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#issues')?.textContent?.includes('/sections/0/href'))
      await page.fill('#source', '{"version": "2024-03-06", "customer": {"id": "c1"}, "sections": [{"type": "link", "title": "Stripe", "href": "https://x.example/{{ data.customer.id }}"}]}')
      await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#issues')?.textContent?.includes('No issues'))
      expect(await page.getAttribute('#sidebar a.ckit-link', 'href')).toBe('https://x.example/c1')
      // An unsafe href: the error at its pointer, and no link in the sidebar.
      await page.fill('#source', '{"version": "2024-03-06", "customer": {}, "sections": [{"type": "link", "title": "Click", "href": "javascript:alert(1)"}, {"type": "list", "title": "A", "items": []}]}')
      await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#issues')?.textContent?.includes('/sections/0/href'))
      expect(await page.locator('#sidebar a').count()).toBe(0)
      // A customer name with <script> shows as text and runs nothing.
      await page.evaluate(() => ((globalThis as unknown as Page).pwned = false))
      await page.fill('#source', '{"version": "2024-03-06", "customer": {"name": "<script>window.pwned = true</script><img src=x onerror=\\"window.pwned=true\\">"}, "sections": [{"type": "list", "title": "{{ data.customer.name }}", "items": [{"description": "Name", "value": "{{ data.customer.name }}"}]}]}')
      await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#sidebar')?.textContent?.includes('<script>'))
      expect(await page.evaluate(() => (globalThis as unknown as Page).pwned)).toBe(false)
      // The seed response renders its link and list sections; the picture goes to the docs.
      await page.fill('#source', readFileSync(new URL('../fixtures/examples/seed-response.json', import.meta.url), 'utf8'))
      await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelectorAll('#sidebar .ckit-link-section').length > 0 && (globalThis as unknown as Page).document.querySelectorAll('#sidebar .ckit-list-section').length > 0)
      const shot = process.env['CKIT_UPDATE_SCREENSHOTS'] ? new URL('../../docs/img/playground.png', import.meta.url).pathname : join(tmpdir(), `ckit-playground-${process.pid}.png`)
      await page.setViewportSize({ width: 1280, height: 800 })
      await page.screenshot({ path: shot })
      expect(existsSync(shot)).toBe(true)
    } finally {
      await browser.close()
      await running.stop()
    }
  }, 60_000)
})
