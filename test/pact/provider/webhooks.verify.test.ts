import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageProviderPact, providerWithMetadata } from '@pact-foundation/pact'
import { afterAll, describe, expect, it } from 'vitest'
import { fakePayload } from '../../../src/fake/index.js'
import { CONTRACT } from '../../../src/pact/index.js'
import { eventCatalogue } from '../../../src/schema/index.js'
import { parseWebhook } from '../../../src/signature/index.js'
import { SCHEMES } from '../../../src/webhooks/index.js'

/**
 * The help desk's side of the webhook pact: the payload factory (fakePayload) and the signer,
 * verified against what webhook-receiver needs, metadata (event name, content type) included —
 * for every interaction (every event) and SEEDS seeds each, in one verifier run: the committed
 * pact is handed to the verifier SEEDS times, and each time an interaction asks for its message
 * the factory draws the next seed.
 */
const SEEDS = 20
const PACT_FILE = new URL(`../../../contracts/${CONTRACT.messageConsumer}-${CONTRACT.messageProvider}.json`, import.meta.url).pathname

interface Interaction {
  description: string
  providerStates: { name: string }[]
  metadata: { event: string }
  contents: { content: { yetto: Record<string, Record<string, unknown>> } }
}
const interactions = (JSON.parse(readFileSync(PACT_FILE, 'utf8')) as { interactions: Interaction[] }).interactions

/**
 * Where an object has exactly one of two fields (a message's creator, an installation's target),
 * the interaction's provider state names which one ("a customer wrote a message"), and its example
 * holds that field. The factory draws either, so a seed whose draw is in the other state is passed
 * over (at most MAX_SKIPPED_SEEDS in a row); the seeds used are recorded and counted.
 */
const ALTERNATIVES = ['created_by_membership', 'created_by_plug', 'installed_on_inbox', 'installed_on_organization']
const MAX_SKIPPED_SEEDS = 50

type Factory = (event: string, seed: number) => Promise<unknown>

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** SEEDS byte-identical copies of the committed pact, so one verifier run checks each interaction SEEDS times. */
function pactCopies(times: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-webhook-pacts-'))
  dirs.push(dir)
  return Array.from({ length: times }, (_, i) => {
    const file = join(dir, `run-${String(i + 1).padStart(2, '0')}.json`)
    copyFileSync(PACT_FILE, file)
    return file
  })
}

/** Verifies the factory against `times` copies of the pact; returns the seeds used per interaction. */
async function verifyFactory(factory: Factory, times: number): Promise<Map<string, number[]>> {
  const used = new Map<string, number[]>()
  const messageProviders = Object.fromEntries(
    interactions.map((interaction) => {
      const { event } = interaction.metadata
      const key = eventCatalogue().get(event)!
      const wanted = ALTERNATIVES.filter((field) => Object.hasOwn(interaction.contents.content.yetto[key] ?? {}, field))
      const seeds: number[] = []
      used.set(interaction.description, seeds)
      let next = 1
      const provide = async () => {
        for (let skipped = 0; skipped <= MAX_SKIPPED_SEEDS; skipped++) {
          const seed = next++
          const payload = (await factory(event, seed)) as { yetto: Record<string, Record<string, unknown>> }
          if (!wanted.every((field) => Object.hasOwn(payload.yetto[key] ?? {}, field))) continue
          seeds.push(seed)
          // What goes on the wire is signed: a receiver's parser accepts the factory's output signed
          // with the contract's secret, and refuses it under any other (a shape check alone passes any HMAC).
          const body = JSON.stringify(payload)
          const headers = SCHEMES.yetto.headers(CONTRACT.secret, { id: 'd', event, body, timestamp: 1 })
          expect(parseWebhook({ secret: CONTRACT.secret, body, headers })).toMatchObject({ ok: true, event, deliveryId: 'd', payload: JSON.parse(body) as unknown })
          expect(parseWebhook({ secret: `${CONTRACT.secret}-not`, body, headers })).toMatchObject({ ok: false, reason: 'mismatch', status: 401 })
          return payload
        }
        throw new Error(`${MAX_SKIPPED_SEEDS} seeds in a row of ${event} were not in the state "${interaction.providerStates[0]?.name}"`)
      }
      return [interaction.description, providerWithMetadata(provide, { event, contentType: 'application/json' })]
    }),
  )
  const states = new Set(interactions.flatMap((i) => i.providerStates.map((s) => s.name)))
  const provider = new MessageProviderPact({
    provider: CONTRACT.messageProvider,
    pactUrls: pactCopies(times),
    logLevel: 'error',
    messageProviders,
    // The factory needs no set-up; the state's meaning is applied in `provide` above.
    stateHandlers: Object.fromEntries([...states].map((state) => [state, async () => undefined])),
  })
  await provider.verify()
  return used
}

describe('help-desk-webhooks verifies as message provider', () => {
  it(`the payload factory satisfies every interaction of the webhook pact for ${SEEDS} seeds each`, async () => {
    expect(new Set(interactions.map((i) => i.metadata.event))).toEqual(new Set(eventCatalogue().keys()))
    const used = await verifyFactory(fakePayload, SEEDS)
    for (const [description, seeds] of used) {
      expect(new Set(seeds).size, description).toBe(SEEDS)
    }
    expect(used.size).toBe(interactions.length)
  }, 90_000)

  it('fails a factory that leaves out what the pact requires', async () => {
    // The factory before issue 19 item 16: text_content and labels were optional and often missing.
    const broken: Factory = async (event, seed) => {
      const payload = (await fakePayload(event, seed)) as { yetto: Record<string, Record<string, unknown>> }
      for (const object of Object.values(payload.yetto)) {
        delete object['text_content']
        delete object['labels']
      }
      return payload
    }
    // The same harness as above, one run: only the factory differs.
    await expect(verifyFactory(broken, 1)).rejects.toThrow()
  }, 60_000)
})
