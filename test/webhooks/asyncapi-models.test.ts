import { TypeScriptGenerator } from '@asyncapi/modelina'
import { beforeAll, describe, expect, it } from 'vitest'
import { fakePayload } from '../../src/fake/index.js'
import { eventCatalogue, validate } from '../../src/schema/index.js'
import { asyncApiDocument, asyncApiPayloadName } from '../../src/schema/webhook-spec.js'
import { typecheck } from '../schema/typecheck.js'

/**
 * What a receiver gets from an AsyncAPI code generator: @asyncapi/modelina's TypeScript models,
 * compiled (strict) against one valid payload of every event. Options keep the wire shape:
 * JSON property names, string unions for enums, additional properties as a record.
 */
describe('TypeScript models generated from the AsyncAPI document', () => {
  let models: { modelName: string; result: string }[]
  beforeAll(async () => {
    const generator = new TypeScriptGenerator({ modelType: 'interface', enumType: 'union', mapType: 'record', rawPropertyNames: true })
    models = await generator.generate(asyncApiDocument() as never)
    // Modelina parses the document with @asyncapi/parser first: seconds on a busy machine.
  }, 60_000)

  it('name one payload model per event', () => {
    const names = new Set(models.map((m) => m.modelName))
    const expected = [...eventCatalogue().keys()].map(asyncApiPayloadName)
    expect(new Set(expected).size).toBe(eventCatalogue().size)
    expect(expected.filter((name) => !names.has(name))).toEqual([])
    expect(asyncApiPayloadName('conversation.created')).toBe('ConversationCreatedPayload')
  })

  it('accept a valid payload of every event, and require exactly that event\'s object', async () => {
    const lines = ["import type * as M from './models.js'"]
    for (const [event] of eventCatalogue()) {
      const payload = await fakePayload(event, 7)
      // Guards the fixture itself: the test must compile payloads the contract calls valid.
      expect(validate('webhook', payload, { strict: true, event }).errors, event).toEqual([])
      lines.push(`export const ${asyncApiPayloadName(event)}: M.${asyncApiPayloadName(event)} = ${JSON.stringify(payload)}`)
    }
    // Another event's object alone does not make a message.created delivery…
    const conversation = (await fakePayload('conversation.created', 7)).yetto
    lines.push('// @ts-expect-error message.created requires yetto.message')
    lines.push(`export const wrongEvent: M.MessageCreatedPayload = { yetto: ${JSON.stringify(conversation)} }`)
    // …and an event's payload does not demand the objects of the other events.
    lines.push(`export const onlyOwnObject: M.ConversationCreatedPayload = { yetto: ${JSON.stringify(conversation)} }`)
    const source = models.map((m) => `export ${m.result}`).join('\n\n')
    expect(typecheck({ 'models.ts': source, 'payloads.ts': lines.join('\n') })).toEqual([])
  }, 60_000)
})
