export { requestCustomerData, testConnection, CLIENT_DEFAULTS } from './request.js'
export type { Connection, ClientOptions, CustomerDataResult, TestConnectionResult } from './request.js'
export { FAILURE_KINDS, describeFailure } from './failure.js'
export type { Failure, FailureKind } from './failure.js'
