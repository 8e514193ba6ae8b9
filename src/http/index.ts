export { exchange, explainNetwork, errorCode, headerValue, systemTimer, type ExchangeFailure, type ExchangeOptions, type ExchangeRequest, type ExchangeResult, type Timer } from './exchange.js'
export { forwardableHeaders } from './headers.js'
