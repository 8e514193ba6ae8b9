import { spawn } from 'node:child_process'
import type { CommandSpec } from '../command.js'
import { serveUntilShutdown } from '../io.js'
import { wholeNumberOption } from '../parse.js'
import { PLAYGROUND_DEFAULTS } from '../../desk/defaults.js'

interface PlaygroundOptions {
  readonly port?: number
  readonly open?: true
  readonly json?: true
}

export const playgroundCommand: CommandSpec<PlaygroundOptions> = {
  name: 'playground',
  summary: 'a local page: paste or fetch a response, see its issues (with pointers) and the sidebar as you type',
  examples: ['ckit playground --open', 'ckit playground --port 4041'],
  define: (command) =>
    command
      .option('--port <port>', `port (default ${PLAYGROUND_DEFAULTS.port}; 0 for any)`, wholeNumberOption('--port', 0, 65535))
      .option('--open', 'open the page in your browser')
      .option('--json', 'print { url } on stdout once listening')
      .addHelpText('after', '\nBinds 127.0.0.1 only and answers only to loopback names in Host (DNS rebinding gets 421), like the mock,\nwhich serves the same page at /__admin/playground/. Stops on Ctrl-C, exit 0.'),
  async run(_args, options, io) {
    const [{ default: Fastify }, { deskPlugin }] = await Promise.all([import('fastify'), import('../../desk/plugin.js')])
    const { host } = PLAYGROUND_DEFAULTS
    const app = Fastify()
    // The same desk the mock mounts, with the same guard: only the bind address differs.
    await app.register(deskPlugin, { host })
    app.get('/', async (_request, reply) => reply.redirect('/playground/'))
    await app.listen({ port: options.port ?? PLAYGROUND_DEFAULTS.port, host })
    const address = app.server.address()
    const url = `http://${host}:${typeof address === 'object' && address ? address.port : 0}/playground/`
    io.stderr.write(`playground on ${url}; Ctrl-C to stop\n`)
    if (options.json) io.stdout.write(`${JSON.stringify({ url })}\n`)
    if (options.open) {
      // Best effort: xdg-open on Linux, open on macOS; the URL is printed either way.
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
      spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => io.stderr.write(`(could not start ${opener}: open ${url} yourself)\n`)).unref()
    }
    return serveUntilShutdown(io, () => app.close())
  },
}
