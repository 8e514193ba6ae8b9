import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeHtml, terminalSafe } from '../../src/render/index.js'
import { cli } from '../helpers.js'

/** A hostile endpoint writes escape sequences into names, values and templates, hoping a CLI prints them raw. */
const TITLE = '\u001b]0;pwned\u0007'
const CLEAR = '\u001b[2J\u001b[H'
const CSI = '\u009b31m'
const hostile = JSON.stringify({
  version: '2024-03-06',
  customer: { id: 'c', [`${TITLE}name`]: 'x', name: `Kelly${CLEAR}` },
  sections: [
    { type: 'list', title: `T${CSI}`, items: [{ description: 'd', value: `{{ data.customer.nope${CLEAR} }}` }, { description: 'v', value: '{{ data.customer.name }}' }] },
    { type: `link${TITLE}`, title: 't', href: 'https://x.example' },
    { type: 'link', title: 't', href: `javascript:alert(1)${CLEAR}` },
  ],
  [`extra${TITLE}`]: true,
})

// eslint-disable-next-line no-control-regex
const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

describe('nothing a response sends drives the terminal', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(hostile))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  it.each([
    ['validate', ['validate', '-']],
    ['validate --strict', ['validate', '--strict', '-']],
    ['render', ['render', '-']],
    ['render --strict', ['render', '--strict', '-']],
  ])('ckit %s', async (_name, argv) => {
    const run = await cli(argv, { stdin: hostile })
    expect(run.stdout + run.stderr).not.toMatch(raw)
    expect(run.stdout + run.stderr).toMatch(/\\x1b/)
  })

  it('ckit fetch (text and styled on a terminal)', async () => {
    for (const stdoutTty of [false, true]) {
      const run = await cli(['fetch', url, '--secret', 'k', '--email', 'kelly@example.com'], { stdoutTty })
      expect(run.stderr).not.toMatch(raw)
      // On a terminal, only our own styling (bold, OSC-8 links) may use ESC; no response text does.
      // eslint-disable-next-line no-control-regex
      const withoutOurStyling = run.stdout.replace(/\u001b\[(1|22|4|24)m|\u001b\]8;;[^\u001b]*\u001b\\/g, '')
      expect(withoutOurStyling).not.toMatch(raw)
    }
  })

  it('terminalSafe shows C0, C1 and bidi controls as escapes and keeps newlines and tabs', () => {
    expect(terminalSafe(`a${CLEAR}b\u202ec\n\td${CSI}`)).toBe('a\\x1b[2J\\x1b[Hb\\u202ec\n\td\\x9b31m')
    expect(escapeHtml(`<b>${TITLE}</b>`)).toBe('&lt;b&gt;\ufffd]0;pwned\ufffd&lt;/b&gt;')
  })
})
