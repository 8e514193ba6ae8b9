/** Why a file could not be read, in words (not `EISDIR: illegal operation on a directory, read`). */
export function readErrorReason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder'
    case 'EISDIR':
      return 'it is a folder, not a file'
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    default:
      return (cause as Error | undefined)?.message ?? String(cause)
  }
}

export const isMissing = (cause: unknown): boolean => (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
