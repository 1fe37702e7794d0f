// The board's versions and who made what, loaded while the history panel is
// open, again after every restore or revert (anyone's) and every minute (the
// server saves automatic versions by itself). Attribution is also refreshed
// a moment after the live document changes, so the hover tooltip keeps up.
import { useEffect, useRef, useState } from 'react'
import type * as Y from 'yjs'
import type { Attribution, VersionList } from '../../../../../shared/history.js'
import type { ApiClient } from '../../../../sdk/index.js'
import { errorText } from '../../lib/api.js'

export interface HistoryState {
  list: VersionList | null
  error: string | null
  attribution: Attribution | null
  reload(): void
}

const ATTRIBUTION_DEBOUNCE_MS = 1500
const LIST_REFRESH_MS = 60_000

export function useHistory(api: ApiClient, boardId: string, doc: Y.Doc | null, open: boolean, tick: number): HistoryState {
  const [list, setList] = useState<VersionList | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [attribution, setAttribution] = useState<Attribution | null>(null)
  const [reloads, setReloads] = useState(0)
  const seq = useRef(0)

  useEffect(() => {
    if (!open) return
    const mine = ++seq.current
    api.listVersions(boardId).then(
      (l) => {
        if (mine !== seq.current) return
        setList(l)
        setError(null)
      },
      (e: unknown) => mine === seq.current && setError(errorText(e)),
    )
    api.attribution(boardId).then(
      (a) => mine === seq.current && setAttribution(a),
      () => {},
    )
  }, [open, tick, reloads, boardId])

  // Who made what changes as people draw: ask again once the document has been quiet for a moment.
  useEffect(() => {
    if (!open || !doc) return
    let timer = 0
    const onUpdate = () => {
      clearTimeout(timer)
      timer = window.setTimeout(() => {
        api.attribution(boardId).then(setAttribution, () => {})
      }, ATTRIBUTION_DEBOUNCE_MS)
    }
    doc.on('update', onUpdate)
    return () => {
      clearTimeout(timer)
      doc.off('update', onUpdate)
    }
  }, [open, doc, boardId])

  // Automatic versions are saved by the server once a board goes quiet: look again now and then.
  useEffect(() => {
    if (!open) {
      setAttribution(null)
      return
    }
    const timer = window.setInterval(() => setReloads((r) => r + 1), LIST_REFRESH_MS)
    return () => clearInterval(timer)
  }, [open])

  return { list, error, attribution, reload: () => setReloads((r) => r + 1) }
}
