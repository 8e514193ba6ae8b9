// Starts the one mock every test file shares, and tells the files where it is.
import { startMock } from 'connection-kit/mock'

export default async function setup(project) {
  const mock = await startMock({ port: 0, secret: 'suite-secret' })
  project.provide('mockOrigin', mock.origin)
  project.provide('mockSecret', mock.secret)
  return () => mock.close()
}
