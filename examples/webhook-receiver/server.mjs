// A webhook receiver in a few lines: verified, valid deliveries reach your handler; everything
// else is refused with a JSON reason before your code runs. Run: YETTO_WEBHOOK_SECRET=… node server.mjs
import Fastify from 'fastify'
import { webhookPlugin } from 'connection-kit/webhooks'

const app = Fastify()
await app.register(webhookPlugin, {
  // Required: an unset variable throws CKIT_SIG_MISSING_SECRET instead of accepting anything.
  secret: process.env.YETTO_WEBHOOK_SECRET,
  path: '/webhooks',
  // Yetto signs only the body: the replay guard remembers bodies it accepted, the timestamp check is a hint.
  replayGuard: true,
  toleranceSeconds: 300,
  handler: async (delivery) => {
    console.log(`${delivery.event} ${delivery.deliveryId}`, JSON.stringify(delivery.payload.yetto).slice(0, 80))
    // Your code here. Return nothing for 204, or a value to send as the answer.
  },
})
await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
console.log(`receiving webhooks on http://127.0.0.1:${app.server.address().port}/webhooks`)
