import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkHref, errorCardHtml, escapeHtml, pageHtml, render, sidebarHtml, renderText } from '../../src/render/index.js'
import type { CustomerConnectionResponse } from '../../src/schema/index.js'

const XSS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  "'><a href=javascript:alert(1)>x</a>",
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '</dd></dl></section><script>alert(1)</script>',
  '&lt;script&gt;',
  '<style>*{display:none}</style>',
  '" onmouseover="alert(1)',
  '<!--',
  '<![CDATA[<script>alert(1)</script>]]>',
  '\u003cscript\u003ealert(1)\u003c/script\u003e',
]

const TAGS = new Set(['aside', 'section', 'a', 'p', 'h3', 'dl', 'div', 'dt', 'dd', 'ul', 'li', 'code'])
const ATTRIBUTES = new Set(['class', 'href', 'target', 'rel', 'data-section', 'data-kind', 'role', 'aria-label'])

/** Every tag and attribute in the output must be one the renderer itself writes. */
function assertOnlyOurMarkup(html: string): void {
  for (const match of html.matchAll(/<\/?([a-zA-Z][\w-]*)([^>]*)>/g)) {
    expect(TAGS).toContain(match[1]!.toLowerCase())
    for (const attribute of match[2]!.matchAll(/\s([^\s=]+)="[^"]*"/g)) expect(ATTRIBUTES).toContain(attribute[1])
    expect(match[2]!.replace(/\s[^\s=]+="[^"]*"/g, '').trim()).toBe('')
  }
}

describe('HTML output escapes every customer string', () => {
  it.each(XSS)('%s shows as text wherever it lands', (payload) => {
    const response = {
      version: '2024-03-06',
      customer: { name: payload },
      sections: [
        { type: 'link', title: payload, description: '{{ data.customer.name }}', href: 'https://example.com/?q={{ data.customer.name }}' },
        { type: 'list', title: '{{ data.customer.name }}', items: [{ description: payload, value: '{{ data.customer.name }}' }] },
      ],
    } as CustomerConnectionResponse
    const result = render(response)
    expect(result.errors).toEqual([])
    const html = sidebarHtml(result)
    assertOnlyOurMarkup(html)
    expect(html).toContain(escapeHtml(payload))
    // onerror= may appear, escaped, as visible text; as markup it is excluded by assertOnlyOurMarkup.
    expect(html).not.toMatch(/<script|<iframe|<img|<svg|<style/i)
  })

  it('escapes error cards and section errors too', () => {
    const card = errorCardHtml({ kind: '<b>x</b>', message: '<script>alert(1)</script>', title: '"><img src=x onerror=1>' })
    assertOnlyOurMarkup(card)
    const failed = render({ version: '2024-03-06', customer: { u: '<script>x</script>' }, sections: [{ type: 'link', title: 'x', href: '{{ data.customer.u }}' }] })
    expect(failed.errors).toHaveLength(1)
    assertOnlyOurMarkup(sidebarHtml(failed))
  })

  it('puts a script-forbidding Content-Security-Policy on the page', () => {
    expect(pageHtml('')).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`)
  })
})

const fragment = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '{{ data.customer.a }}', '{{ data.customer.b.c }}', '{{ data.customer.a | upcase }}', '{{ data.customer.x | default: "d" }}',
    '{% if data.customer.a %}', '{% endif %}', '{% for i in data.customer.list %}', '{% endfor %}', '{{ i }}',
    'javascript:', 'https://', 'mailto:', 'data:', '\t', '\u0000', '<script>', '"', '{%', '}}', '{{', '%}', '{% include "x" %}',
    '{{ data.customer.constructor }}', '{% assign s = "x" | append: "y" %}{{ s }}', '{% for i in (1..1000000000) %}x{% endfor %}',
  ),
)
const template = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''))
const customer = fc.dictionary(fc.constantFrom('a', 'b', 'x', 'list', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 2 }))

describe('render (property)', () => {
  it('never throws, never emits an unsafe href, and only emits sections without errors', () => {
    fc.assert(
      fc.property(customer, fc.array(fc.record({ type: fc.constantFrom('link', 'list', 'other'), title: template, href: template, value: template }), { maxLength: 4 }), fc.boolean(), (data, specs, strict) => {
        const response = {
          version: '2024-03-06',
          customer: data,
          sections: specs.map((s) => (s.type === 'list' ? { type: 'list', title: s.title, items: [{ description: s.title, value: s.value }] } : { type: s.type, title: s.title, href: s.href })),
        } as CustomerConnectionResponse
        const result = render(response, { strict })
        const failed = new Set(result.errors.map((e) => e.section))
        for (const section of result.sections) {
          expect(failed.has(section.index)).toBe(false)
          if (section.type === 'link') {
            expect(checkHref(section.href)).toEqual({ ok: true, href: section.href })
            expect(['https:', 'http:', 'mailto:']).toContain(new URL(section.href).protocol)
          }
        }
        assertOnlyOurMarkup(sidebarHtml(result))
        expect(renderText(result)).not.toContain('\u001b')
      }),
      { numRuns: 400 },
    )
  })

  it('never throws on arbitrary values where a response was expected', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const result = render(value as unknown as CustomerConnectionResponse)
        expect(Array.isArray(result.sections)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})
