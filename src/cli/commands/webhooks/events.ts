import { CkitError } from '../../../errors.js'
import { eventCatalogue, unknownEventMessage } from '../../../schema/index.js'

/** --event: a name from the catalogue, checked when parsed. */
export function eventOption(value: string): string {
  if (!eventCatalogue().has(value)) throw new CkitError('CKIT_CLI_USAGE', `--event: ${unknownEventMessage(value)}`)
  return value
}

export function requireEvent(options: { readonly event?: string | undefined }): string {
  const event = options.event
  if (event === undefined) throw new CkitError('CKIT_CLI_USAGE', 'give --event <name> (or --story)')
  return event
}
