import { CkitError } from '../errors.js'

/**
 * Option parsers for commander: each checks its flag once, when the command line is read, and
 * throws CKIT_CLI_USAGE (exit 2) with one line naming the flag, what it takes and what it got.
 */
export function wholeNumberOption(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new CkitError('CKIT_CLI_USAGE', `${flag} must be a whole number from ${min} to ${max}, instead got ${JSON.stringify(value)}`)
    }
    return Number(value)
  }
}

/** --timeout: milliseconds from 1 to 600000. */
export const timeoutOption = wholeNumberOption('--timeout', 1, 600_000)

/** A requester e-mail: the endpoint picks the customer by it, so a typo is caught here, not as a failed request. */
export function emailOption(flag: string) {
  return (value: string): string => {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new CkitError('CKIT_CLI_USAGE', `${flag} must be an e-mail address, instead got ${JSON.stringify(value)}`)
    return value
  }
}
