import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'

/**
 * Type-checks files as `tsc --strict --noEmit` would, in a temporary folder, with the compiler
 * API (no child process). Returns one line per diagnostic: `file(line,col): message`.
 */
export function typecheck(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ckit-typecheck-'))
  try {
    const paths = Object.entries(files).map(([name, text]) => {
      const path = join(dir, name)
      writeFileSync(path, text)
      return path
    })
    const program = ts.createProgram(paths, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    })
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      if (!d.file || d.start === undefined) return text
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
      return `${d.file.fileName.slice(dir.length + 1)}(${line + 1},${character + 1}): ${text}`
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
