export { runConformance, exchange, CHECK_NAMES, CONFORMANCE_DEFAULTS } from './checks.js'
export type { CheckResult, CheckName, ConformanceOptions, Exchange } from './checks.js'
