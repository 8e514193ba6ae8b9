/**
 * Where the desk's servers listen unless told otherwise: loopback only, each on a port of its own
 * (the mock has 4010). Apart from the code, so the CLI shows them in --help without loading it.
 */
export const PROXY_DEFAULTS = Object.freeze({ port: 4031, host: '127.0.0.1' })
export const PLAYGROUND_DEFAULTS = Object.freeze({ port: 4040, host: '127.0.0.1' })
