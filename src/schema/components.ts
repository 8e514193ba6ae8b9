import { getRegistry, SCHEMA_BASE_ID } from './registry.js'

/**
 * The contract's schemas as OpenAPI components, derived from the loaded files (not a copy kept
 * by hand): each file becomes `<Title>`, each of its $defs `<Title>-<name>`, and every $ref —
 * local or across files — is rewritten to point at those components.
 */
export function contractComponents(): Record<string, Record<string, unknown>> {
  const schemas = getRegistry().schemas
  const titleOf = new Map([...schemas].map(([file, schema]) => [file, String(schema['title'])]))
  const componentRef = (ref: string, file: string): string => {
    const [target = '', pointer = ''] = ref.split('#')
    const targetFile = target === '' ? file : target.replace(SCHEMA_BASE_ID, '')
    const title = titleOf.get(targetFile) ?? targetFile
    const def = pointer.startsWith('/$defs/') ? pointer.slice('/$defs/'.length) : ''
    return `#/components/schemas/${def ? `${title}-${def}` : title}`
  }
  const rewrite = (node: unknown, file: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, file))
    if (node === null || typeof node !== 'object') return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || key === '$id' || key === '$defs') continue
      out[key] = key === '$ref' && typeof value === 'string' ? componentRef(value, file) : key === 'examples' || key === 'const' || key === 'enum' ? value : rewrite(value, file)
    }
    return out
  }
  const components: Record<string, Record<string, unknown>> = {}
  for (const [file, schema] of schemas) {
    const title = titleOf.get(file)!
    components[title] = rewrite(schema, file) as Record<string, unknown>
    for (const [name, def] of Object.entries((schema['$defs'] ?? {}) as Record<string, unknown>)) {
      components[`${title}-${name}`] = rewrite(def, file) as Record<string, unknown>
    }
  }
  return components
}
