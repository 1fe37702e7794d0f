// Everything history puts on the board page: the side panel, the preview of
// a version over the canvas (a chunk of its own: it brings a second
// Excalidraw) and the "undo someone's changes" dialog, with the actions
// behind them (save, restore, revert, the owner's "editors may restore").
import { lazy, Suspense, useEffect } from 'react'
import type { RevertResult, Version } from '../../../../../shared/history.js'
import type { Board } from '../../../../../shared/types.js'
import { errorText } from '../../lib/api.js'
import type { Abilities } from '../abilities.js'
import type { BoardSession } from '../use-board-session.js'
import { HistoryPanel } from './history-panel.js'
import { personName, versionTime } from './labels.js'
import { RevertDialog, type RevertTarget } from './revert-dialog.js'
import type { HistoryState } from './use-history.js'

const VersionPreview = lazy(() => import('./version-preview.js').then((m) => ({ default: m.VersionPreview })))

/** The owner's setting (false from a server that predates it). */
export function editorsMayRestoreOf(board: Board): boolean {
  return board.editorsMayRestore === true
}

interface Props {
  s: BoardSession
  board: Board
  abilities: Abilities
  history: HistoryState
  open: boolean
  onClose: () => void
  previewId: string | null
  setPreviewId: (id: string | null) => void
  revertee: RevertTarget | null
  setRevertee: (p: RevertTarget | null) => void
}

function revertedText(r: RevertResult): string {
  const n = r.removed.length + r.recreated.length + r.reset.length
  return `Undid ${personName(r.person)}’s changes (${n} ${n === 1 ? 'element' : 'elements'}).`
}

export function HistoryViews({ s, board, abilities, history, open, onClose, previewId, setPreviewId, revertee, setRevertee }: Props) {
  // Closing the panel closes the preview too.
  useEffect(() => {
    if (!open && previewId) setPreviewId(null)
  }, [open])
  // A role change can take history away (or a board's restore right): close what no longer applies.
  useEffect(() => {
    if (open && !abilities.historyView) onClose()
    if (revertee && !abilities.historyRestore) setRevertee(null)
  }, [abilities.historyView, abilities.historyRestore])

  const versions = history.list?.versions ?? []
  const restore = async (v: Version) => {
    const r = await s.api.restoreVersion(board.id, v.id)
    s.toast(`Restored the version of ${versionTime(v.createdAt)}${r.changed ? ` (${r.changed} ${r.changed === 1 ? 'element' : 'elements'} changed)` : ''}.`)
    setPreviewId(null)
    s.bumpHistory()
  }
  const setEditorsMayRestore = async (on: boolean) => {
    try {
      s.setBoard(await s.api.updateBoard(board.id, { editorsMayRestore: on }))
    } catch (e) {
      s.toast(errorText(e), 'error')
      throw e
    }
  }

  return (
    <>
      {open ? (
        <HistoryPanel
          history={history}
          me={s.me}
          selectedId={previewId}
          onSelect={setPreviewId}
          onSave={
            abilities.historySave
              ? async (name) => {
                  await s.api.saveVersion(board.id, name)
                  history.reload()
                  s.toast(`Saved the version “${name}”.`)
                }
              : undefined
          }
          onRevert={abilities.historyRestore ? setRevertee : undefined}
          editorsMayRestore={abilities.setAccess && !s.guest ? { value: editorsMayRestoreOf(board), set: setEditorsMayRestore } : undefined}
          onClose={onClose}
        />
      ) : null}
      {open && previewId && s.doc ? (
        <Suspense
          fallback={
            <section className="history-preview" aria-busy="true">
              <p className="preview-loading muted">Loading the preview…</p>
            </section>
          }
        >
          <VersionPreview
            api={s.api}
            boardId={board.id}
            token={s.token}
            live={s.doc}
            versions={versions}
            versionId={previewId}
            me={s.me}
            onSelect={setPreviewId}
            onRestore={abilities.historyRestore ? restore : undefined}
            onClose={() => setPreviewId(null)}
          />
        </Suspense>
      ) : null}
      {revertee ? (
        <RevertDialog
          api={s.api}
          boardId={board.id}
          person={revertee}
          onClose={() => setRevertee(null)}
          onDone={(r) => {
            s.toast(revertedText(r))
            setRevertee(null)
            s.bumpHistory()
          }}
        />
      ) : null}
    </>
  )
}
