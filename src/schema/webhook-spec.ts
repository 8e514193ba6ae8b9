import { HEADERS } from '../signature/headers.js'
import { contractComponents, eventCatalogue, getRegistry } from './index.js'

/**
 * Every event the help desk sends, described where receivers' tools look: the `webhooks` object
 * of OpenAPI 3.1 (the mock's /openapi.json carries it) and an AsyncAPI 3.0 document. Both are
 * derived from schemas/ and the event catalogue, so they cannot drift from the contract.
 */

const REF = '#/components/schemas/'

function titles(): { payload: string; objects: string } {
  const schemas = getRegistry().schemas
  return { payload: String(schemas.get('webhook.schema.json')!['title']), objects: String(schemas.get('webhook-objects.schema.json')!['title']) }
}

/** The payload of one event: the envelope, with the event's own object required inside it. */
function eventPayload(key: string): Record<string, unknown> {
  const { payload, objects } = titles()
  return {
    allOf: [
      { $ref: `${REF}${payload}` },
      { type: 'object', required: ['yetto'], properties: { yetto: { type: 'object', required: [key], properties: { [key]: { $ref: `${REF}${objects}-${key}` } } } } },
    ],
  }
}

/** The headers of a Yetto delivery (docs/protocol.md §Webhooks). */
export const DELIVERY_HEADERS = Object.freeze({
  [HEADERS.signature]: { description: '`sha256=` and the lowercase hex HMAC-SHA256 of the raw body, keyed with the webhook signing secret. Verify it over the bytes as received, in constant time.', required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' } },
  [HEADERS.event]: { description: 'The event name, e.g. message.created. Not signed.', required: true, schema: { type: 'string' } },
  [HEADERS.delivery]: { description: 'A unique delivery id, the same on every retry. Not signed: a replay guard keys on the body MAC.', required: true, schema: { type: 'string' } },
  [HEADERS.timestamp]: { description: 'When this attempt was sent, in Unix seconds. Not signed: a freshness check on it is advisory.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
})

/** The signature as an OpenAPI security scheme, so each webhook operation states it is signed. */
export const WEBHOOK_SECURITY_SCHEME = Object.freeze({
  yettoWebhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: HEADERS.signature,
    description: 'Not a fixed key: `sha256=` and the lowercase hex HMAC-SHA256 of the raw request body, keyed with the webhook signing secret.',
  },
})

const camel = (event: string) => event.replace(/[._]([a-z])/g, (_m, c: string) => c.toUpperCase())

/** OpenAPI 3.1 `webhooks`: one POST per event, signed headers, the event's payload, 2xx expected. */
export function openApiWebhooks(): Record<string, unknown> {
  const webhooks: Record<string, unknown> = {}
  for (const [event, key] of eventCatalogue()) {
    webhooks[event] = {
      post: {
        operationId: `receive${camel(event).replace(/^./, (c) => c.toUpperCase())}`,
        summary: `${event}: the help desk's delivery of this event to your URL`,
        tags: ['webhooks'],
        security: [{ yettoWebhookSignature: [] }],
        parameters: Object.entries(DELIVERY_HEADERS).map(([name, header]) => ({ name, in: 'header', ...header })),
        requestBody: { required: true, content: { 'application/json': { schema: eventPayload(key) } } },
        responses: {
          '2XX': { description: 'Received. Answer within 10 s; anything else is retried (5xx, 408, 429, timeouts) or final (other 4xx).' },
          '4XX': { description: 'Refused (bad signature, invalid payload, replay): not retried, except 408 and 429.' },
        },
      },
    }
  }
  return webhooks
}

/** AsyncAPI Schema takes `discriminator` as a property name, where OpenAPI has an object. */
function asyncApiSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asyncApiSchema)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === 'discriminator' && value && typeof value === 'object' ? (value as { propertyName: string }).propertyName : key === 'examples' || key === 'const' || key === 'enum' ? value : asyncApiSchema(value)
  }
  return out
}

/** The components a set of roots reaches through $ref, and nothing else. */
function reachable(components: Record<string, unknown>, roots: string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {}
  const queue = [...roots]
  while (queue.length > 0) {
    const name = queue.pop()!
    if (name in kept || !(name in components)) continue
    kept[name] = components[name]
    for (const match of JSON.stringify(components[name]).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) queue.push(match[1]!)
  }
  return kept
}

const pascal = (event: string) => camel(event).replace(/^./, (c) => c.toUpperCase())

/** The name of an event's payload schema in the AsyncAPI document: `ConversationCreatedPayload`. */
export const asyncApiPayloadName = (event: string): string => `${pascal(event)}Payload`

/**
 * One event's payload as a schema of its own, named for code generators: the envelope, and
 * inside it the contract's body with the event's object required. Not `allOf [shared body,
 * {required}]`: generators merge every allOf that shares the body into one model, which then
 * requires every event's object at once.
 */
function namedEventPayload(event: string, key: string, envelope: Record<string, unknown>): Record<string, unknown> {
  // The shared examples show other events; `required` says more than `minProperties: 1`.
  const { examples: _examples, ...rest } = envelope
  const { examples: _bodyExamples, minProperties: _minProperties, ...body } = structuredClone((envelope['properties'] as { yetto: Record<string, unknown> }).yetto)
  return {
    ...rest,
    title: asyncApiPayloadName(event),
    description: `The body of a ${event} delivery: {"yetto": {…}} with \`yetto.${key}\` present.`,
    properties: {
      yetto: {
        ...body,
        title: `${pascal(event)}Body`,
        description: `The ${key.replace(/_/g, ' ')} the event is about, possibly with related objects.`,
        required: [key],
      },
    },
  }
}

/** An AsyncAPI 3.0 document: one channel, message and receive operation per event. */
export function asyncApiDocument(): Record<string, unknown> {
  const { payload } = titles()
  const all = contractComponents()
  const channels: Record<string, unknown> = {}
  const payloads: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  for (const [event, key] of eventCatalogue()) {
    const id = camel(event)
    messages[id] = {
      name: event,
      title: event,
      summary: `The help desk reports ${event.replace('.', ' ').replace(/_/g, ' ')}.`,
      contentType: 'application/json',
      headers: {
        type: 'object',
        required: Object.keys(DELIVERY_HEADERS),
        properties: Object.fromEntries(Object.entries(DELIVERY_HEADERS).map(([name, header]) => [name, { ...header.schema, description: header.description }])),
      },
      payload: { $ref: `${REF}${asyncApiPayloadName(event)}` },
    }
    payloads[asyncApiPayloadName(event)] = namedEventPayload(event, key, all[payload]!)
    channels[id] = {
      // Webhooks go to whatever URL the receiver configured: no fixed address.
      address: null,
      title: event,
      description: `Deliveries of ${event}: a signed POST to your webhook URL.`,
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
    }
    operations[`receive${id.replace(/^./, (c) => c.toUpperCase())}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: `Receive ${event}`,
      messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Help-desk webhooks (Yetto protocol), as connection-kit implements them',
      version: '2024-03-06',
      description: `Every activity is POSTed to the receiver as {"yetto": {…}}, signed with ${HEADERS.signature} over the raw body. Retries: network errors, timeouts, 5xx, 408 and 429, with backoff; see docs/webhooks.md.`,
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas: asyncApiSchema(reachable({ ...all, ...payloads }, Object.keys(payloads))) },
  }
}
