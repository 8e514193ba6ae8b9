import { CkitError } from '../../errors.js'
import { validateText } from '../../schema/index.js'
import { buildSignedRequest, createSigner, HEADERS } from '../../signature/index.js'
import type { CommandSpec } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { issueJson, issueLines, shellQuote } from '../format.js'
import { printJson, readInput, type Io } from '../io.js'

/** Read from the environment when --secret is omitted, so the secret stays out of `ps` and shell history. */
export const SECRET_ENV = 'CKIT_SECRET'

export function resolveSecret(options: { readonly secret?: string | undefined }, io: Io): string {
  const secret = options.secret ?? io.env[SECRET_ENV]
  if (!secret) throw new CkitError('CKIT_CLI_USAGE', `a signing secret is required: pass --secret <secret> or set ${SECRET_ENV}`)
  return secret
}

interface SignOptions {
  readonly secret?: string
  readonly context?: string
  readonly keepRequestedAt?: true
  readonly url?: string
  readonly json?: true
}

export const signCommand: CommandSpec<SignOptions> = {
  name: 'sign',
  summary: 'compute the X_YETTO_SIGNATURE header for a message, or build a signed customer-connection request',
  examples: [
    'ckit sign --secret s3cret "eyJyZWFzb24iOiJyZWZyZXNoIn0"',
    'ckit sign --secret s3cret - < webhook-body.json',
    'ckit sign --secret s3cret --context context.json --url https://crm.example.com/yetto',
  ],
  exitCodes: { ok: 'signed', problems: 'the context is invalid', usage: 'usage error or unreadable file' },
  define: (command) =>
    command
      .argument('[message]', 'string to sign (a path parameter or a raw webhook body); - reads bytes from standard input')
      .option('--secret <secret>', `signing secret (default: $${SECRET_ENV})`)
      .option('--context <file>', 'request-context JSON to encode as the path parameter and sign (- for standard input)')
      .option('--keep-requested-at', "with --context: sign the context's requested_at as it is (default: stamp the current time, since endpoints refuse contexts older than 5 minutes)")
      .option('--url <base>', 'with --context: the configured connection URL, to print the full signed URL and a curl line')
      .option('--json', 'print one JSON result on stdout'),
  async run([message], options, io) {
    const secret = resolveSecret(options, io)
    const contextFile = options.context
    if (contextFile === undefined) {
      if (message === undefined) throw new CkitError('CKIT_CLI_USAGE', 'nothing to sign: give a message, - for standard input, or --context <file>')
      if (options.url !== undefined) throw new CkitError('CKIT_CLI_USAGE', '--url goes with --context')
      const bytes = message === '-' ? (await readInput(io, '-')).bytes : message
      const signature = createSigner(secret).sign(bytes)
      if (options.json) printJson(io, { header: HEADERS.signature, signature })
      else io.stdout.write(`${signature}\n`)
      return EXIT.ok
    }
    if (message !== undefined) throw new CkitError('CKIT_CLI_USAGE', 'give either a message or --context, not both')
    const { bytes, name } = await readInput(io, contextFile)
    const checked = validateText(bytes, 'request-context')
    if (!checked.valid) {
      io.stderr.write(`${name}: invalid request context\n${issueLines('error', checked.errors)}`)
      if (options.json) printJson(io, { valid: false, errors: checked.errors.map(issueJson) })
      return EXIT.problems
    }
    const base = options.url
    // A stored context is usually old: endpoints refuse requested_at outside their tolerance (docs/protocol.md).
    const context = options.keepRequestedAt ? checked.value : { ...checked.value, requested_at: new Date().toISOString() }
    const request = buildSignedRequest({ url: base ?? 'http://localhost/', secret, context })
    const curl = `curl -sS -H ${shellQuote(`${HEADERS.signature}: ${request.signature}`)} ${shellQuote(request.url)}`
    if (options.json) {
      printJson(io, {
        pathParameter: request.pathParameter,
        requestedAt: context.requested_at,
        header: HEADERS.signature,
        signature: request.signature,
        ...(base === undefined ? {} : { url: request.url, curl }),
      })
      return EXIT.ok
    }
    io.stdout.write(`path parameter: ${request.pathParameter}\n`)
    io.stdout.write(`requested at:   ${context.requested_at}${options.keepRequestedAt ? '' : ' (stamped now; --keep-requested-at keeps the file\'s)'}\n`)
    io.stdout.write(`header:         ${HEADERS.signature}: ${request.signature}\n`)
    if (base !== undefined) {
      io.stdout.write(`url:            ${request.url}\n`)
      io.stdout.write(`curl:           ${curl}\n`)
    } else {
      io.stderr.write('(pass --url <configured URL> to print the full signed URL and a curl line)\n')
    }
    return EXIT.ok
  },
}
