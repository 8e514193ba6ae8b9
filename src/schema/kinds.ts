/** Document kinds a user can validate, each backed by one schema file (read by scripts/gen-validators.mjs too). */
export const KINDS = {
  response: 'customer-connection-response.schema.json',
  'request-context': 'request-context.schema.json',
  challenge: 'challenge-response.schema.json',
  webhook: 'webhook.schema.json',
  switch: 'switch.schema.json',
  'event-name': 'webhook-events.schema.json',
} as const

export type Kind = keyof typeof KINDS
