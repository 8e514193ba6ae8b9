import { describe, expect, it } from 'vitest'
import { getRegistry, validate, validateText } from '../../src/schema/index.js'
import { LINK_HREF_PATTERN } from '../../src/schema/messages.js'
import { cli } from '../helpers.js'

const response = (sections: unknown[]) => ({ version: '2024-03-06', customer: { id: 'c_1' }, sections })

describe('error messages a person understands', () => {
  it('says what type a field must be, at its pointer', () => {
    const result = validate('response', response([{ type: 'link', title: 'a', href: 'https://x.example' }, { type: 'link', title: 'b', href: 7 }]))
    expect(result.errors).toEqual([{ pointer: '/sections/1/href', keyword: 'type', message: 'must be a string' }])
  })

  it('points a missing property at where it belongs', () => {
    const result = validate('response', { version: '2024-03-06', sections: [] })
    expect(result.errors).toEqual([{ pointer: '/customer', keyword: 'required', message: 'is required' }])
  })

  it('suggests the event name a typo was meant to be', () => {
    const result = validate('switch', { version: '2023-03-06', events: { 'conversation.labelled': { actions: [{ uses: 'apply_labels', add: ['x'] }] } } })
    expect(result.errors[0]?.pointer).toBe('/events/conversation.labelled')
    expect(result.errors[0]?.message).toContain('did you mean "conversation.labeled"?')
  })

  it('escapes pointer tokens that contain / and ~', () => {
    const result = validate('switch', { version: '2023-03-06', events: { 'a/b~c': { actions: [{ uses: 'apply_labels', add: ['x'] }] } } })
    expect(result.errors[0]?.pointer).toBe('/events/a~1b~0c')
  })

  it('names the exactly-one rule of message creators', () => {
    const result = validate('webhook', {
      yetto: { message: { id: 'm', conversation: { id: 'c' }, author: { name: 'K' }, visibility: 'public', text_content: 'Hi' } },
    })
    expect(result.errors).toEqual([
      { pointer: '/yetto/message', keyword: 'oneOf', message: 'must have exactly one of "created_by_membership" or "created_by_plug"' },
    ])
  })

  it('reports a wrong type once, not with every check that type failed', () => {
    const result = validate('webhook', { yetto: { message: 'hello' } })
    expect(result.errors).toEqual([{ pointer: '/yetto/message', keyword: 'type', message: 'must be an object' }])
  })

  it('lists the known section types for an unknown one, as a warning unless strict', () => {
    const lenient = validate('response', response([{ type: 'chart' }]))
    expect(lenient.valid).toBe(true)
    expect(lenient.warnings[0]?.message).toBe('"chart" is not a known value of "type" (expected "link" or "list")')
    expect(validate('response', response([{ type: 'chart' }]), { strict: true }).valid).toBe(false)
  })

  it('requires the event payload object when the event is known', () => {
    const result = validate('webhook', { yetto: { conversation: { id: 'c' } } }, { event: 'message.created' })
    expect(result.errors).toContainEqual({ pointer: '/yetto/message', keyword: 'required', message: 'is required for event message.created' })
    expect(validate('webhook', { yetto: { organization: { id: 'o', name: 'A', slug: 'a', status: 'active' } } }, { event: 'nope.created' }).errors[0]?.message).toContain('unknown event')
  })

  it('cannot guess the kind of an unrelated document and says how to name it', () => {
    const result = validateText('{"hello": "world"}')
    expect(result.valid).toBe(false)
    expect(result.errors[0]?.message).toMatch(/cannot tell what kind of document this is/)
  })

  it('refuses a link the help desk will not open, and says to write the scheme out', () => {
    const result = validate('response', response([
      { type: 'link', title: 'a', href: 'javascript:alert(1)' },
      { type: 'link', title: 'b', href: '{{ data.customer.url }}' },
      { type: 'link', title: 'c', href: ' https://x.example' },
      { type: 'link', title: 'd', href: 'HTTPS://x.example/{{ data.customer.id }}' },
      { type: 'link', title: 'e', href: 'mailto:{{ data.customer.email }}' },
      { type: 'link', title: 'f', href: 'http://x.example' },
    ]))
    expect(result.errors.map((e) => e.pointer)).toEqual(['/sections/0/href', '/sections/1/href', '/sections/2/href'])
    for (const error of result.errors) {
      expect(error.keyword).toBe('pattern')
      expect(error.message).toMatch(/^must start with a literal https:\/\/, http:\/\/ or mailto: .*write the scheme out/)
    }
  })

  it('words the link rule from the pattern the schema really has', () => {
    const href = getRegistry().rootSchema('response')['$defs']['linkSection']['properties']['href'] as { pattern: string }
    expect(href.pattern).toBe(LINK_HREF_PATTERN)
  })

  it('ckit validate exits 1 on a javascript: href and prints the fix', async () => {
    const run = await cli(['validate', '-', '--kind', 'response'], { stdin: JSON.stringify(response([{ type: 'link', title: 'x', href: 'javascript:alert(1)' }])) })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('/sections/0/href: must start with a literal https://')
  })

  it('names a bad e-mail, date-time or URI once, by its format, though a pattern enforces it too', () => {
    const result = validate('request-context', {
      reason: 'refresh',
      requested_at: '2026-11-25 10:00',
      inbox: { slug: 's' },
      conversation: { id: 'c', html_url: 'conversations/c' },
      requester: { email: 'kelly at example.com' },
    })
    expect(result.errors).toEqual([
      { pointer: '/requested_at', keyword: 'format', message: 'must be an ISO-8601 date-time such as "2026-11-25T10:00:00Z"' },
      { pointer: '/conversation/html_url', keyword: 'format', message: 'must be an absolute URI' },
      { pointer: '/requester/email', keyword: 'format', message: 'must be an e-mail address' },
    ])
  })
})

describe('length messages count what the limit counts', () => {
  it('reports an over-long href in code points, not UTF-16 units', () => {
    // 2040 astral emoji are 4080 UTF-16 units but 2040 code points: 2050 with the prefix.
    const href = `https://x/${'😀'.repeat(2040)}`
    const result = validate('response', response([{ type: 'link', title: 'a', href }]))
    expect(result.errors).toEqual([{ pointer: '/sections/0/href', keyword: 'maxLength', message: 'must be at most 2048 characters long (is 2050)' }])
  })

  it('accepts an href at the limit in code points even when it is longer in UTF-16 units', () => {
    const href = `https://x/${'😀'.repeat(2038)}`
    expect(validate('response', response([{ type: 'link', title: 'a', href }])).errors).toEqual([])
  })
})
