#!/usr/bin/env node
// Writes the language-neutral test vectors in contracts/vectors/ from the explicit case lists
// below. Signatures are computed here with node:crypto alone, never with connection-kit's own
// signer, so the vectors cannot inherit a bug of the code they test. `npm run gen:vectors`
// rewrites them; test/vectors/vectors.test.ts fails when the files and this script drift apart.
import { createHmac } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const VECTORS_DIR = fileURLToPath(new URL('../contracts/vectors/', import.meta.url))

/** Every case is judged at this instant unless it says otherwise (the contracts' fixed time too). */
const NOW = '2026-01-01T00:00:00.000Z'
const NOW_SECONDS = Date.parse(NOW) / 1000
const SECRET = 'vector-secret'
const TOLERANCE = 300

const hmacHex = (key, message) => createHmac('sha256', key).update(message).digest('hex')
const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url')
const isoAt = (offsetSeconds) => new Date(Date.parse(NOW) + offsetSeconds * 1000).toISOString()

function context(overrides = {}) {
  return {
    reason: 'conversation_viewed',
    requested_at: NOW,
    inbox: { slug: 'support' },
    conversation: { id: 'conv_1', title: 'Refund request', html_url: 'https://acme.yetto.app/conversations/conv_1' },
    requester: { email: 'kelly@example.com', name: 'Kelly Customer' },
    ...overrides,
  }
}
const param = (value) => b64url(JSON.stringify(value))
const signed = (secret, message) => `sha256=${hmacHex(Buffer.from(secret, 'utf8'), message)}`

const VALID = param(context())
const VALID_SIGNATURE = signed(SECRET, VALID)

/** One request-signature case; `headers` are [name, value] pairs as they arrived, in order. */
function requestCase(description, { secret = SECRET, pathParameter = VALID, headers, now = NOW, expected }) {
  const status = expected.ok ? undefined : ['missing_context', 'malformed_context', 'invalid_context'].includes(expected.reason) ? 400 : 401
  return { description, secret, path_parameter: pathParameter, headers: headers ?? [['X_YETTO_SIGNATURE', signed(secret, pathParameter)]], now, tolerance_seconds: TOLERANCE, expected: status === undefined ? expected : { ...expected, status } }
}

/** A valid path parameter whose base64 needs padding, with the padding written out. */
function padded() {
  for (let digits = 1; ; digits++) {
    const text = param(context({ conversation: { id: `conv_${'1'.repeat(digits)}` } }))
    if (text.length % 4 !== 0) return text + '='.repeat(4 - (text.length % 4))
  }
}

// Replace one character of the base64url text by another valid one, keeping it decodable.
function tamper(pathParameter) {
  const at = Math.floor(pathParameter.length / 2)
  const swapped = pathParameter[at] === 'A' ? 'B' : 'A'
  return pathParameter.slice(0, at) + swapped + pathParameter.slice(at + 1)
}

export function requestSignatureVectors() {
  const ok = { ok: true }
  const fail = (reason) => ({ ok: false, reason })
  const challenge = param(context({ reason: 'challenge', conversation: undefined, requester: undefined, inbox: { slug: 'connection-test' }, challenge: '5f0c3e1a9b7d4c2e8a6f1b3d5c7e9a0b' }))
  const nonAscii = param(context({ conversation: { id: 'conv_ü', title: 'Rückerstattung – 返金 🧾', html_url: 'https://acme.yetto.app/conversations/conv_2' }, requester: { email: 'zoe@example.com', name: 'Zoë Ångström' } }))
  const upper = VALID_SIGNATURE.replace(/[0-9a-f]{64}$/, (hex) => hex.toUpperCase())
  const hex = VALID_SIGNATURE.slice('sha256='.length)
  const at = (seconds) => param(context({ requested_at: isoAt(seconds) }))
  return [
    requestCase('a valid signature over a conversation_viewed context', { expected: ok }),
    requestCase('a valid signature over a set-up challenge', { pathParameter: challenge, expected: ok }),
    requestCase('non-ASCII text inside the context: the signature covers the base64url text, not the decoded JSON', { pathParameter: nonAscii, expected: ok }),
    requestCase('a secret with non-ASCII characters is keyed as its UTF-8 bytes', { secret: 'clé-秘密-🔑', expected: ok }),
    requestCase('upper-case hex digits are accepted (hex is case-insensitive here)', { headers: [['X_YETTO_SIGNATURE', upper]], expected: ok }),
    requestCase('whitespace around the header value is ignored', { headers: [['X_YETTO_SIGNATURE', ` \t${VALID_SIGNATURE} `]], expected: ok }),
    requestCase('the header name is case-insensitive', { headers: [['x_yetto_signature', VALID_SIGNATURE]], expected: ok }),
    requestCase('the dashed spelling X-Yetto-Signature is accepted (some proxies rewrite _ to -)', { headers: [['X-Yetto-Signature', VALID_SIGNATURE]], expected: ok }),
    requestCase('a path parameter with trailing base64 padding, signed as sent, is accepted', { pathParameter: padded(), expected: ok }),
    requestCase('a tampered path parameter (one character changed after signing)', { pathParameter: tamper(VALID), headers: [['X_YETTO_SIGNATURE', VALID_SIGNATURE]], expected: fail('mismatch') }),
    requestCase('padding appended after signing changes the signed string', { pathParameter: `${VALID}=`, headers: [['X_YETTO_SIGNATURE', VALID_SIGNATURE]], expected: fail('mismatch') }),
    requestCase('signed with another secret', { headers: [['X_YETTO_SIGNATURE', signed('another-secret', VALID)]], expected: fail('mismatch') }),
    requestCase('a signature of all zeros', { headers: [['X_YETTO_SIGNATURE', `sha256=${'0'.repeat(64)}`]], expected: fail('mismatch') }),
    requestCase('the signature header is missing', { headers: [], expected: fail('missing') }),
    requestCase('the signature header is empty', { headers: [['X_YETTO_SIGNATURE', '']], expected: fail('missing') }),
    requestCase('the signature header holds only whitespace', { headers: [['X_YETTO_SIGNATURE', '   ']], expected: fail('missing') }),
    requestCase('the signature header is sent twice, even with the same valid value', { headers: [['X_YETTO_SIGNATURE', VALID_SIGNATURE], ['X_YETTO_SIGNATURE', VALID_SIGNATURE]], expected: fail('malformed') }),
    requestCase('two valid-looking values joined by a comma (how some servers merge a repeated header)', { headers: [['X_YETTO_SIGNATURE', `${VALID_SIGNATURE}, ${VALID_SIGNATURE}`]], expected: fail('malformed') }),
    requestCase('hex without the sha256= prefix', { headers: [['X_YETTO_SIGNATURE', hex]], expected: fail('malformed') }),
    requestCase('an upper-case SHA256= prefix', { headers: [['X_YETTO_SIGNATURE', `SHA256=${hex}`]], expected: fail('malformed') }),
    requestCase('another algorithm prefix (sha1=)', { headers: [['X_YETTO_SIGNATURE', `sha1=${hex}`]], expected: fail('malformed') }),
    requestCase('63 hex digits', { headers: [['X_YETTO_SIGNATURE', VALID_SIGNATURE.slice(0, -1)]], expected: fail('malformed') }),
    requestCase('65 hex digits', { headers: [['X_YETTO_SIGNATURE', `${VALID_SIGNATURE}0`]], expected: fail('malformed') }),
    requestCase('a non-hex character among 64', { headers: [['X_YETTO_SIGNATURE', `${VALID_SIGNATURE.slice(0, -1)}g`]], expected: fail('malformed') }),
    requestCase('the digest in base64 instead of hex', { headers: [['X_YETTO_SIGNATURE', `sha256=${Buffer.from(hex, 'hex').toString('base64')}`]], expected: fail('malformed') }),
    requestCase('requested_at exactly 300 s in the past is still fresh (the tolerance is inclusive)', { pathParameter: at(-300), expected: ok }),
    requestCase('requested_at 300.001 s in the past is stale', { pathParameter: at(-300.001), expected: fail('stale') }),
    requestCase('requested_at 301 s in the past is stale', { pathParameter: at(-301), expected: fail('stale') }),
    requestCase('requested_at a day in the past is stale (a replayed request)', { pathParameter: at(-86_400), expected: fail('stale') }),
    requestCase('requested_at exactly 300 s in the future is still fresh (clock skew)', { pathParameter: at(300), expected: ok }),
    requestCase('requested_at 301 s in the future is stale', { pathParameter: at(301), expected: fail('stale') }),
    requestCase('a stale context with a wrong signature is a mismatch: the signature is checked first', { pathParameter: at(-86_400), headers: [['X_YETTO_SIGNATURE', signed('another-secret', at(-86_400))]], expected: fail('mismatch') }),
    requestCase('a stale context without a signature is missing, not stale', { pathParameter: at(-86_400), headers: [], expected: fail('missing') }),
    requestCase('a signed path parameter that is not base64url ("+" and ".")', { pathParameter: 'eyJh+.Ij0x', expected: fail('malformed_context') }),
    requestCase('a signed path parameter that decodes to text that is not JSON', { pathParameter: b64url('not json'), expected: fail('malformed_context') }),
    requestCase('a signed context without requested_at', { pathParameter: param({ ...context(), requested_at: undefined }), expected: fail('invalid_context') }),
  ]
}

// --- webhooks ---------------------------------------------------------------------------------

/** Standard Webhooks' published example (standard-webhooks spec, and the svix libraries' tests). */
const SPEC = Object.freeze({
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
})

const BODY = JSON.stringify({ yetto: { conversation: { id: 'conv_1', title: 'Refund request', state: 'open' } } })
const NON_ASCII_BODY = JSON.stringify({ yetto: { message: { id: 'msg_1', text_content: 'Grüße – こんにちは 👋', author: { name: 'Zoë' } } } })
const WEBHOOK_SECRET = 'webhook-secret'
// A Standard Webhooks secret: whsec_ + base64 of the key bytes.
const STANDARD_SECRET = `whsec_${Buffer.from('standard-webhooks-vector-key-32b').toString('base64')}`

const standardKey = (secret) => Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64')
const standardSignature = (secret, id, timestamp, body) => `v1,${createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`

function webhookCase(description, { scheme, secret, body = BODY, headers, now = NOW, expected, toleranceSeconds }) {
  return { description, scheme, secret, body, headers, now, ...(toleranceSeconds === undefined ? {} : { tolerance_seconds: toleranceSeconds }), expected }
}

function yettoCases() {
  const sig = signed(WEBHOOK_SECRET, BODY)
  const rest = [['X_YETTO_EVENT', 'conversation.created'], ['X_YETTO_DELIVERY', 'dlv_1'], ['X_YETTO_TIMESTAMP', String(NOW_SECONDS)]]
  const c = (description, headers, expected, extra = {}) => webhookCase(`yetto: ${description}`, { scheme: 'yetto', secret: WEBHOOK_SECRET, headers: [...headers, ...rest], expected, ...extra })
  const reformatted = JSON.stringify(JSON.parse(BODY), null, 2)
  return [
    c('a valid signature over the raw body', [['X_YETTO_SIGNATURE', sig]], { ok: true }),
    c('a non-ASCII body is signed as its UTF-8 bytes', [['X_YETTO_SIGNATURE', signed(WEBHOOK_SECRET, NON_ASCII_BODY)]], { ok: true }, { body: NON_ASCII_BODY }),
    c('upper-case hex digits are accepted', [['X_YETTO_SIGNATURE', sig.replace(/[0-9a-f]{64}$/, (h) => h.toUpperCase())]], { ok: true }),
    c('whitespace around the header value is ignored', [['X_YETTO_SIGNATURE', ` ${sig}\t`]], { ok: true }),
    c('the dashed spelling X-Yetto-Signature is accepted', [['X-Yetto-Signature', sig]], { ok: true }),
    c('the same JSON re-serialised (pretty-printed) no longer matches: verify the raw bytes', [['X_YETTO_SIGNATURE', sig]], { ok: false, reason: 'mismatch' }, { body: reformatted }),
    c('a tampered body', [['X_YETTO_SIGNATURE', sig]], { ok: false, reason: 'mismatch' }, { body: BODY.replace('open', 'shut') }),
    c('signed with another secret', [['X_YETTO_SIGNATURE', signed('another-secret', BODY)]], { ok: false, reason: 'mismatch' }),
    c('the signature header is missing', [], { ok: false, reason: 'missing' }),
    c('the signature header is sent twice', [['X_YETTO_SIGNATURE', sig], ['X_YETTO_SIGNATURE', sig]], { ok: false, reason: 'malformed' }),
    c('hex without the sha256= prefix', [['X_YETTO_SIGNATURE', sig.slice('sha256='.length)]], { ok: false, reason: 'malformed' }),
    c('a truncated digest', [['X_YETTO_SIGNATURE', sig.slice(0, -2)]], { ok: false, reason: 'malformed' }),
  ]
}

function standardCases() {
  const id = 'msg_2Kx9vector'
  const ts = NOW_SECONDS
  const sig = standardSignature(STANDARD_SECRET, id, ts, BODY)
  const headers = (overrides = {}) => {
    const values = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig, ...overrides }
    return Object.entries(values).filter(([, v]) => v !== undefined)
  }
  const c = (description, extra) => webhookCase(`standard: ${description}`, { scheme: 'standard', secret: STANDARD_SECRET, toleranceSeconds: TOLERANCE, headers: headers(), ...extra })
  const fail = (reason) => ({ ok: false, reason })
  const bareSpecSecret = SPEC.secret.slice('whsec_'.length)
  const specNow = new Date(SPEC.timestamp * 1000).toISOString()
  const specHeaders = [['webhook-id', SPEC.id], ['webhook-timestamp', String(SPEC.timestamp)], ['webhook-signature', SPEC.signature]]
  return [
    c("the specification's published example", { secret: SPEC.secret, body: SPEC.body, headers: specHeaders, now: specNow, expected: { ok: true } }),
    c("the specification's example secret without its whsec_ prefix (still base64 of the key)", { secret: bareSpecSecret, body: SPEC.body, headers: specHeaders, now: specNow, expected: { ok: true } }),
    c('a valid signature', { expected: { ok: true } }),
    c('a non-ASCII body', { body: NON_ASCII_BODY, headers: headers({ 'webhook-signature': standardSignature(STANDARD_SECRET, id, ts, NON_ASCII_BODY) }), expected: { ok: true } }),
    c('several space-separated signatures, one of them valid (key rotation)', { headers: headers({ 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${sig}` }), expected: { ok: true } }),
    c('header names are case-insensitive', { headers: headers().map(([k, v]) => [k.replace(/(^|-)(\w)/g, (_, dash, ch) => dash + ch.toUpperCase()), v]), expected: { ok: true } }),
    c('a signature under another version tag (v1a) does not count', { headers: headers({ 'webhook-signature': sig.replace(/^v1,/, 'v1a,') }), expected: fail('mismatch') }),
    c('a tampered body', { body: BODY.replace('open', 'shut'), expected: fail('mismatch') }),
    c('a changed webhook-id (the id is signed)', { headers: headers({ 'webhook-id': 'msg_other' }), expected: fail('mismatch') }),
    c('a changed webhook-timestamp, still fresh (the timestamp is signed)', { headers: headers({ 'webhook-timestamp': String(ts - 1) }), expected: fail('mismatch') }),
    c('signed with another secret', { headers: headers({ 'webhook-signature': standardSignature(`whsec_${Buffer.from('another-key').toString('base64')}`, id, ts, BODY) }), expected: fail('mismatch') }),
    c('webhook-signature is missing', { headers: headers({ 'webhook-signature': undefined }), expected: fail('missing') }),
    c('webhook-id is missing', { headers: headers({ 'webhook-id': undefined }), expected: fail('missing') }),
    c('webhook-timestamp is missing', { headers: headers({ 'webhook-timestamp': undefined }), expected: fail('missing') }),
    c('webhook-timestamp is not a number', { headers: headers({ 'webhook-timestamp': 'yesterday' }), expected: fail('malformed') }),
    c('exactly 300 s old is accepted', { now: isoAt(300), expected: { ok: true } }),
    c('300.999 s old is accepted: the window is compared in whole seconds', { now: isoAt(300.999), expected: { ok: true } }),
    c('301 s old is stale', { now: isoAt(301), expected: fail('stale') }),
    c('exactly 300 s ahead of now is accepted', { now: isoAt(-300), expected: { ok: true } }),
    c('301 s ahead of now is stale', { now: isoAt(-301), expected: fail('stale') }),
    c('a day old with a wrong signature is stale: the timestamp is checked first', { now: isoAt(86_400), headers: headers({ 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` }), expected: fail('stale') }),
  ]
}

function githubCases() {
  const sig = signed(WEBHOOK_SECRET, BODY)
  const rest = [['X-GitHub-Event', 'issues'], ['X-GitHub-Delivery', '72d3162e-cc78-11e3-81ab-4c9367dc0958']]
  const c = (description, headers, expected, extra = {}) => webhookCase(`github: ${description}`, { scheme: 'github', secret: WEBHOOK_SECRET, headers: [...headers, ...rest], expected, ...extra })
  return [
    c('a valid X-Hub-Signature-256', [['X-Hub-Signature-256', sig]], { ok: true }),
    c('a non-ASCII body', [['X-Hub-Signature-256', signed(WEBHOOK_SECRET, NON_ASCII_BODY)]], { ok: true }, { body: NON_ASCII_BODY }),
    c('the header name is case-insensitive', [['x-hub-signature-256', sig]], { ok: true }),
    c("upper-case hex digits are refused, as GitHub's libraries compare the exact string", [['X-Hub-Signature-256', sig.replace(/[0-9a-f]{64}$/, (h) => h.toUpperCase())]], { ok: false, reason: 'malformed' }),
    c("whitespace around the value is refused, as GitHub's libraries compare the exact string", [['X-Hub-Signature-256', ` ${sig}`]], { ok: false, reason: 'malformed' }),
    c('a tampered body', [['X-Hub-Signature-256', sig]], { ok: false, reason: 'mismatch' }, { body: BODY.replace('open', 'shut') }),
    c('signed with another secret', [['X-Hub-Signature-256', signed('another-secret', BODY)]], { ok: false, reason: 'mismatch' }),
    c('the header is missing', [], { ok: false, reason: 'missing' }),
    c('only the legacy SHA-1 header X-Hub-Signature', [['X-Hub-Signature', `sha1=${createHmac('sha1', WEBHOOK_SECRET).update(BODY).digest('hex')}`]], { ok: false, reason: 'missing' }),
    c('the header is sent twice', [['X-Hub-Signature-256', sig], ['X-Hub-Signature-256', sig]], { ok: false, reason: 'malformed' }),
    c('a sha1= value in the SHA-256 header', [['X-Hub-Signature-256', `sha1=${createHmac('sha1', WEBHOOK_SECRET).update(BODY).digest('hex')}`]], { ok: false, reason: 'malformed' }),
  ]
}

export function webhookVectors() {
  // The generator's own Standard Webhooks signer must reproduce the specification's example.
  const check = standardSignature(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)
  if (check !== SPEC.signature) throw new Error(`gen-vectors: Standard Webhooks signer gives ${check}, the specification says ${SPEC.signature}`)
  return [...yettoCases(), ...standardCases(), ...githubCases()]
}

/** One field per line, each value compact: a reviewer reads a case at a glance. */
const format = (cases) => `[\n${cases.map((c) => `  {\n${Object.entries(c).map(([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(',\n')}\n  }`).join(',\n')}\n]\n`

/** The files' exact text, stable for review and for the drift test. */
export const vectorFiles = () => ({
  'request-signature.json': format(requestSignatureVectors()),
  'webhooks.json': format(webhookVectors()),
})

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(VECTORS_DIR, { recursive: true })
  for (const [name, text] of Object.entries(vectorFiles())) {
    writeFileSync(`${VECTORS_DIR}${name}`, text)
    console.log(`wrote contracts/vectors/${name}`)
  }
}
