export { fakePayload } from './payloads.js'
