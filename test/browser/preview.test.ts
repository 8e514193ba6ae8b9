import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_DATA_DIR, startMock, type RunningMock } from '../../src/mock/index.js'
import { deskPlugin } from '../../src/desk/index.js'

// The system Chromium (Debian package); .ci/run installs it when missing. Never a downloaded browser.
const CHROMIUM = process.env['CKIT_CHROMIUM'] ?? '/usr/bin/chromium'
const XSS_NAME = '<script>window.__xss = 1; alert(1)</script><img src=x onerror="window.__xss = 2">'

let mock: RunningMock
let browser: Browser
let dataDir: string

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CKIT_CHROMIUM)`)
  dataDir = await mkdtemp(join(tmpdir(), 'ckit-preview-'))
  await cp(DEFAULT_DATA_DIR, dataDir, { recursive: true })
  await writeFile(
    join(dataDir, 'customers', 'xss@example.com.json'),
    JSON.stringify({
      id: 'customer_654321', name: XSS_NAME, email: 'xss@example.com', plan_type: 'Enterprise', stripe_id: 'cus_XssXssXssXss01', seats: 7, mrr_cents: 1000,
      is_suspended: false, created_at: '2024-01-02T03:04:05.000Z', last_active: '2026-11-01T00:00:00.000Z', tags: [], organization: { id: 'org_654321', name: 'Evil "Corp"', role: 'member', domain: 'evil.example' },
    }),
  )
  mock = await startMock({ port: 0, dataDir, secret: 'preview-secret', desk: deskPlugin })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})

afterAll(async () => {
  await browser?.close()
  await mock?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('preview page in a real browser', () => {
  it('shows the sections an agent would see, with links where they should point', async () => {
    const page = await browser.newPage()
    await page.goto(`${mock.origin}/__admin/preview?email=kelly@example.com`)
    await expect.poll(() => page.locator('.ckit-section').count()).toBe(5)
    expect(await page.locator('.ckit-list-section').first().isVisible()).toBe(true)
    const hrefs = await page.locator('a.ckit-link').evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href))
    expect(hrefs).toEqual(['https://admin.example.com/customers/customer_123450', 'https://dashboard.stripe.com/customers/cus_QWs34A0j0PwiVz', 'mailto:kelly@example.com'])
    expect(await page.locator('dd').first().textContent()).toBe('Kelly Customer')
    await page.close()
  })

  it('shows a customer name containing <script> as text, and runs nothing', async () => {
    const page = await browser.newPage()
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(`${mock.origin}/__admin/preview?email=xss@example.com`)
    await expect.poll(() => page.locator('.ckit-list-section').count()).toBe(2)
    expect(await page.locator('dd').first().textContent()).toBe(XSS_NAME)
    expect(await page.locator('a.ckit-link').first().textContent()).toBe(`${XSS_NAME} in the admin`)
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined()
    expect(await page.locator('script, img').count()).toBe(0)
    expect(dialogs).toEqual([])
    await page.close()
  })

  it('shows the error card, not customer data, when the scenario fails', async () => {
    const page = await browser.newPage()
    await page.goto(`${mock.origin}/__admin/preview?email=kelly@example.com&scenario=status:503`)
    const card = page.locator('.ckit-error-card')
    expect(await card.isVisible()).toBe(true)
    expect(await card.getAttribute('data-kind')).toBe('http_status')
    expect(await page.locator('.ckit-list-section').count()).toBe(0)
    await page.close()
  })
})
