import { cpus, totalmem, platform, release } from 'node:os'

/** One line describing where the numbers came from; every results table starts with it. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}`
}
