/** JSON Pointer (RFC 6901) helpers: errors name places as pointers, never as JS paths. */

export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1')
}

export function appendPointer(pointer: string, token: string | number): string {
  return `${pointer}/${escapePointerToken(token)}`
}

/** Reads the value a pointer names, or `undefined` when nothing is there. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '#') return root
  const tokens = pointer.replace(/^#/, '').split('/').slice(1)
  let node: unknown = root
  for (const raw of tokens) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, token)) return undefined
    node = (node as Record<string, unknown>)[token]
  }
  return node
}

/** Problems in one line, each at its pointer (`/` for the root): `/a/0: must be string; /b: …`. */
export function describeAt(problems: readonly { readonly pointer: string; readonly message: string }[]): string {
  return problems.map((p) => `${p.pointer || '/'}: ${p.message}`).join('; ')
}
