export * from './errors.js'
export * from './schema/index.js'
export * from './signature/index.js'
export * from './render/index.js'
