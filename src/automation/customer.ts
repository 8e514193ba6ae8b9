import { requestCustomerData, type ClientOptions, type Connection } from '../client/index.js'
import type { RequestContext } from '../schema/index.js'
import type { CustomerLookup } from './evaluate.js'

/**
 * A customer source that asks the customer connection when the switch runs (reason
 * `automation`), through the reference client: a failure is reported with its kind, never
 * replaced by earlier data.
 */
export function customerFromConnection(connection: Connection, context: Omit<RequestContext, 'reason' | 'requested_at'>, options: ClientOptions = {}): () => Promise<CustomerLookup> {
  return async () => {
    const result = await requestCustomerData(connection, { ...context, reason: 'automation', requested_at: new Date().toISOString() } as RequestContext, options)
    return result.ok ? { ok: true, customer: result.response.customer } : { ok: false, kind: result.error.kind, message: result.error.message }
  }
}
