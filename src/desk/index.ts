// The pages a server mounts (deskPlugin) live in ./plugin.js, apart from the proxy and recorder:
// ckit mock imports that file alone, so its start-up does not load the renderer the proxy needs.
export { deskPlugin, fetchAllowed } from './plugin.js'
export type { DeskOptions } from './plugin.js'
export { checkForPlayground } from './playground.js'
export type { PlaygroundIssue } from './playground.js'
export type { PreviewTarget } from './preview.js'
export { startProxy } from './proxy.js'
export { PLAYGROUND_DEFAULTS, PROXY_DEFAULTS } from './defaults.js'
export type { ForwardedRequest, ProxyOptions, ProxyVerdict, RunningProxy } from './proxy.js'
export { createRecorder } from './record.js'
export type { RecordOptions, RecordOutcome } from './record.js'

