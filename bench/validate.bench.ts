import { readdirSync, readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { Bench } from 'tinybench'
import { validate, validateText } from '../src/schema/index.js'
import { createSigner, parseSignedRequest, buildSignedRequest } from '../src/signature/index.js'

const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8')
const schemas = new URL('../schemas/', import.meta.url)

export const VALIDATE_ANCHOR = 'anchor: raw ajv validates the same response (compiled once)'

/** The anchor: ajv as anyone would use it on our published schemas, compiled at run time, with the options our build uses. */
function rawAjvResponseValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, discriminator: true })
  addFormats.default(ajv)
  ajv.addKeyword({ keyword: 'x-payload', schemaType: 'string' })
  for (const file of readdirSync(schemas).filter((f) => f.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(new URL(file, schemas), 'utf8')) as object)
  return ajv.getSchema('https://connection-kit.dev/schemas/customer-connection-response.schema.json')!
}

export async function run(): Promise<Bench> {
  const seedText = fixture('examples/seed-response.json')
  const seed = JSON.parse(seedText) as unknown
  const invalid = JSON.parse(fixture('response/invalid/href-not-string.json')) as unknown
  const webhook = JSON.parse(fixture('webhook/valid/message-created.json')) as unknown
  const signer = createSigner('bench-secret')
  const request = buildSignedRequest({ url: 'http://localhost/', secret: signer, context: JSON.parse(fixture('request-context/valid/conversation-viewed.json')) })
  const path = new URL(request.url).pathname
  // Compile once before timing: the registry is built on first use.
  validate('response', seed)
  const raw = rawAjvResponseValidator()
  if (!raw(seed)) throw new Error('raw ajv refuses the seed example')
  const bench = new Bench({ time: 1000, warmupTime: 200 })
  bench
    .add('validate a valid response (seed example)', () => validate('response', seed))
    .add(VALIDATE_ANCHOR, () => raw(seed))
    .add('validate an invalid response (errors humanised)', () => validate('response', invalid))
    .add('parse + validate response text', () => validateText(seedText, 'response'))
    .add('validate a webhook payload for its event', () => validate('webhook', webhook, { event: 'message.created' }))
    .add('parseSignedRequest (HMAC + base64url + JSON + schema)', () => parseSignedRequest({ path, headers: request.headers, secret: signer }))
  await bench.run()
  return bench
}
