/* global fetch */
// Each test file takes its own session of the shared mock: /sessions/<id>/ is the connection URL
// to configure the code under test with, /sessions/<id>/__admin/… its admin API.
import { randomUUID } from 'node:crypto'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSignedRequest } from 'connection-kit/signature'
import { inject } from 'vitest'

export function sessionFor(testFileUrl) {
  const origin = inject('mockOrigin')
  const secret = inject('mockSecret')
  const token = inject('mockAdminToken')
  const id = `${basename(fileURLToPath(testFileUrl), '.test.mjs')}-${randomUUID().slice(0, 8)}`
  // CKIT_EXAMPLE_NO_SESSIONS=1 points every file at the root, to see why sessions exist: the
  // files then overwrite each other's scenarios and read each other's requests.
  const base = process.env.CKIT_EXAMPLE_NO_SESSIONS === '1' ? origin : `${origin}/sessions/${id}`
  const admin = async (path, init = {}) => {
    const answer = await fetch(`${base}/__admin${path}`, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers } })
    if (!answer.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${answer.status} ${await answer.text()}`)
    return answer.json()
  }
  return {
    url: `${base}/`,
    admin,
    setScenarios: (config) => admin('/scenarios', { method: 'PUT', body: JSON.stringify(config) }),
    reset: () => admin('/reset', { method: 'POST', body: '{}' }),
    journalCount: async (query = '') => (await admin(`/journal/count${query}`)).count,
    /** What the help desk under test would do: a signed GET of the connection URL. */
    fetchCustomer: (email) => {
      const context = { reason: 'conversation_viewed', requested_at: new Date().toISOString(), inbox: { slug: 'support' }, conversation: { id: 'conv_1' }, requester: { email } }
      const request = buildSignedRequest({ url: `${base}/`, secret, context })
      return fetch(request.url, { headers: request.headers })
    },
  }
}

export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
