import { watch, type FSWatcher } from 'node:fs'
import { reloadMockData, type MockState } from './state.js'

/** Edits come in bursts (an editor writes a temp file, then renames it): one reload per burst. */
export const WATCH_DEBOUNCE_MS = 150

export type ReloadResult = { ok: true } | { ok: false; message: string }

/**
 * Watches the data folder (the folder, not the files, so editors that save by rename are seen)
 * and reloads it all or nothing after each burst of changes.
 */
export function watchMockData(state: MockState, dir: string, onReload: (result: ReloadResult) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const watcher: FSWatcher = watch(dir, { recursive: true }, () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => onReload(reloadMockData(state)), WATCH_DEBOUNCE_MS)
  })
  watcher.on('error', (error) => onReload({ ok: false, message: `watching ${dir} stopped: ${error.message}` }))
  return () => {
    if (timer) clearTimeout(timer)
    watcher.close()
  }
}
