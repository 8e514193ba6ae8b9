// Starts the one mock every test file shares, and tells the files where it is. In CI with the
// mock as a service container (docs/ci.md), set CKIT_MOCK_ORIGIN (and CKIT_MOCK_SECRET,
// CKIT_MOCK_ADMIN_TOKEN as the container has them) and that mock is used instead.
import { startMock } from 'connection-kit/mock'

export default async function setup(project) {
  const external = process.env.CKIT_MOCK_ORIGIN
  const mock = external ? undefined : await startMock({ port: 0, secret: 'suite-secret' })
  project.provide('mockOrigin', external ?? mock.origin)
  project.provide('mockSecret', external ? (process.env.CKIT_MOCK_SECRET ?? 'ckit-mock-secret') : mock.secret)
  project.provide('mockAdminToken', process.env.CKIT_MOCK_ADMIN_TOKEN ?? '')
  return () => mock?.close()
}
