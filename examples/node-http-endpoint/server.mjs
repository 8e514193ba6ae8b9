// A customer endpoint on plain node:http: verify the signature, echo the challenge, answer the
// customer by e-mail (404 customer_not_found when unknown). Run: YETTO_SECRET=… node server.mjs
import { createServer } from 'node:http'
import { parseSignedRequest } from 'connection-kit/signature'

const secret = process.env.YETTO_SECRET // unset → parseSignedRequest throws CKIT_SIG_MISSING_SECRET
const customers = new Map([['kelly@example.com', { id: 'customer_12345', name: 'Kelly Customer', plan_type: 'Business', stripe_id: 'cus_123' }]])
const sections = [
  { type: 'link', title: 'Stripe', description: 'Refunds', href: 'https://dashboard.stripe.com/customers/{{ data.customer.stripe_id }}' },
  { type: 'list', title: 'Account', items: [{ description: 'Name', value: '{{ data.customer.name }}' }, { description: 'Plan', value: '{{ data.customer.plan_type }}' }] },
]

/** Pact provider states (`ckit pact verify --state-change-url …/_pact/state`); only when ENABLE_PACT_STATES=1. */
const states = {
  'a customer with e-mail kelly@example.com exists': () => customers.set('kelly@example.com', { id: 'customer_12345', name: 'Kelly Customer', plan_type: 'Business', stripe_id: 'cus_123' }),
  'no customer has the e-mail nobody@unknown.invalid': () => customers.delete('nobody@unknown.invalid'),
}

const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/_pact/state' && process.env.ENABLE_PACT_STATES === '1') {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const { state, action } = JSON.parse(body || '{}')
      if (action !== 'teardown') states[state]?.()
      json(res, 200, {})
    })
    return
  }
  const result = parseSignedRequest({ path: req.url ?? '/', headers: req.headers, secret })
  if (!result.ok) return json(res, result.status, { error: result.reason, message: result.message })
  if (result.isChallenge) return json(res, 200, { challenge: result.context.challenge })
  const customer = customers.get(result.context.requester?.email ?? '')
  if (!customer) return json(res, 404, { error: 'customer_not_found' })
  json(res, 200, { version: '2024-03-06', customer, sections })
})
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log(`customer endpoint on http://127.0.0.1:${server.address().port}/yetto`))
