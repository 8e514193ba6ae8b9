import { Option } from 'commander'
import type { CommandSpec } from '../../command.js'
import { EXIT } from '../../exit-codes.js'
import { writeOutput } from '../../io.js'

const FORMATS = ['asyncapi', 'openapi'] as const

interface SpecOptions {
  readonly format: (typeof FORMATS)[number]
  readonly out?: string
}

export const specCommand: CommandSpec<SpecOptions> = {
  name: 'spec',
  summary: 'write the webhook events as an AsyncAPI 3.0 or OpenAPI 3.1 (webhooks) document, for your generators',
  examples: ['ckit webhooks spec --format asyncapi --out asyncapi.json', 'ckit webhooks spec --format openapi > webhooks.openapi.json'],
  define: (command) =>
    command
      .addOption(new Option('--format <format>', 'document format').choices([...FORMATS]).default('asyncapi'))
      .option('--out <file>', 'write to a file (whole or not at all) instead of stdout'),
  async run(_args, options, io) {
    const { asyncApiDocument, openApiWebhooks, WEBHOOK_SECURITY_SCHEME } = await import('../../../webhooks/index.js')
    const { contractComponents } = await import('../../../schema/index.js')
    const document =
      options.format === 'openapi'
        ? { openapi: '3.1.0', info: { title: 'Help-desk webhooks (Yetto protocol)', version: '2024-03-06', license: { name: 'MIT', identifier: 'MIT' } }, webhooks: openApiWebhooks(), components: { schemas: contractComponents(), securitySchemes: WEBHOOK_SECURITY_SCHEME } }
        : asyncApiDocument()
    const text = `${JSON.stringify(document, null, 2)}\n`
    const out = options.out
    if (out) {
      await writeOutput(io, out, text)
      io.stderr.write(`wrote ${out}\n`)
    } else {
      io.stdout.write(text)
    }
    return EXIT.ok
  },
}
