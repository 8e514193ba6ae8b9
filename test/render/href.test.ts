import { describe, expect, it } from 'vitest'
import { checkHref, render } from '../../src/render/index.js'
import type { CustomerConnectionResponse } from '../../src/schema/index.js'

const UNSAFE = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'javascript\u0000:alert(1)',
  '\u0001javascript:alert(1)',
  'jav&#x09;ascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'blob:https://example.com/uuid',
  '/relative/path',
  '//evil.example/x',
  'example.com/no-scheme',
  'https://example.com\u200b/x',
  'https://example.com/\u2028',
  'https:\u00a0//example.com',
  '',
  '   ',
  'http://',
]

describe('link safety', () => {
  it.each(UNSAFE)('rejects %j', (href) => {
    expect(checkHref(href).ok).toBe(false)
  })

  it.each([
    ['https://dashboard.stripe.com/customers/cus_1', 'https://dashboard.stripe.com/customers/cus_1'],
    ['http://example.com', 'http://example.com/'],
    ['mailto:kelly@example.com', 'mailto:kelly@example.com'],
    ['https://example.com/search?q=Kelly Customer', 'https://example.com/search?q=Kelly%20Customer'],
    ['  https://example.com/padded  ', 'https://example.com/padded'],
  ])('accepts %j as %j', (href, normalised) => {
    expect(checkHref(href)).toEqual({ ok: true, href: normalised })
  })

  it('never emits a link whose template renders to an unsafe target, and names the section', () => {
    const response = {
      version: '2024-03-06',
      customer: { site: 'javascript:alert(document.cookie)', id: 'c_1' },
      sections: [
        { type: 'link', title: 'Site', href: '{{ data.customer.site }}' },
        { type: 'link', title: 'Profile', href: 'https://example.com/{{ data.customer.id }}' },
      ],
    } as CustomerConnectionResponse
    const result = render(response)
    expect(result.sections).toEqual([expect.objectContaining({ index: 1, href: 'https://example.com/c_1' })])
    expect(result.errors).toEqual([expect.objectContaining({ section: 0, pointer: '/sections/0/href', code: 'unsafe_href' })])
  })
})
