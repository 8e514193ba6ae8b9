// A customer endpoint with fastify: the signature helpers take plain strings and header records,
// so any framework works. Run: YETTO_SECRET=… node server.mjs
import Fastify from 'fastify'
import { parseSignedRequest } from 'connection-kit/signature'

const secret = process.env.YETTO_SECRET // unset → parseSignedRequest throws CKIT_SIG_MISSING_SECRET
const customers = new Map()
const kelly = { id: 'customer_12345', name: 'Kelly Customer', plan_type: 'Business', stripe_id: 'cus_123' }
customers.set('kelly@example.com', kelly)
const sections = [
  { type: 'link', title: 'Stripe', href: 'https://dashboard.stripe.com/customers/{{ data.customer.stripe_id }}' },
  { type: 'list', title: 'Account', items: [{ description: 'Plan', value: '{{ data.customer.plan_type }}' }] },
]

// base64url request contexts are a few hundred characters: raise fastify's 100-character limit.
const app = Fastify({ routerOptions: { maxParamLength: 8192 } })

app.get('/yetto/:context', async (request, reply) => {
  const result = parseSignedRequest({ path: request.url, headers: request.headers, secret })
  if (!result.ok) return reply.code(result.status).send({ error: result.reason, message: result.message })
  if (result.isChallenge) return { challenge: result.context.challenge }
  const customer = customers.get(result.context.requester?.email ?? '')
  if (!customer) return reply.code(404).send({ error: 'customer_not_found' })
  return { version: '2024-03-06', customer, sections }
})

// Pact provider states for `ckit pact verify --state-change-url …/_pact/state`; only when verifying.
if (process.env.ENABLE_PACT_STATES === '1') {
  app.post('/_pact/state', async (request) => {
    const { state, action } = request.body ?? {}
    if (action === 'teardown') return {}
    if (state === 'a customer with e-mail kelly@example.com exists') customers.set('kelly@example.com', kelly)
    if (state === 'no customer has the e-mail nobody@unknown.invalid') customers.delete('nobody@unknown.invalid')
    return {}
  })
}

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
console.log(`customer endpoint on http://127.0.0.1:${app.server.address().port}/yetto`)
