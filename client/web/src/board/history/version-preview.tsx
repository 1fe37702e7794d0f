// A read-only look at the board as it was at one version: an Excalidraw of
// its own in view mode, fed the version's elements through the same binding
// and codec as the live canvas (order, old-schema entries, repairs), with
// what is different now outlined and listed with who changed it. A slider
// moves between versions; "Restore this version" asks once more, then the
// server writes the old content into the live document, which every canvas
// follows by itself. A chunk of its own, next to the canvas's.
import { Excalidraw, getCommonBounds } from '@excalidraw/excalidraw'
import '@excalidraw/excalidraw/index.css'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { useEffect, useState } from 'react'
import * as Y from 'yjs'
import { type DocContent, type ElementDiff, HISTORY_ROOTS, type Version } from '../../../../../shared/history.js'
import type { ApiClient } from '../../../../sdk/index.js'
import { errorText } from '../../lib/api.js'
import { type Rights, SceneBinding } from '../canvas/binding.js'
import { BoardFiles } from '../canvas/files.js'
import { versionLabel, versionTime } from './labels.js'
import { PersonName } from './person-name.js'
import { ChangeList, ChangeOutlines } from './preview-changes.js'

export interface VersionPreviewProps {
  api: ApiClient
  boardId: string
  token: string
  /** The live document: names what was added since the version. */
  live: Y.Doc
  /** Newest first, as the panel lists them. */
  versions: Version[]
  versionId: string
  me: { kind: string; id: string } | null
  onSelect: (versionId: string) => void
  /** Set for those who may restore; resolves once the server has restored. */
  onRestore?: (version: Version) => Promise<void>
  onClose: () => void
}

interface Loaded {
  versionId: string
  doc: Y.Doc
  content: DocContent
  changes: ElementDiff[] | null
}

const VIEW_ONLY: Rights = { scope: 'none', guest: false, markupMode: false, me: null }

/** The version's JSON content as a document the binding can read. */
export function docFromContent(content: DocContent): Y.Doc {
  const doc = new Y.Doc()
  doc.transact(() => {
    for (const root of HISTORY_ROOTS) {
      const map = doc.getMap<unknown>(root)
      for (const [id, value] of Object.entries(content[root] ?? {})) {
        if (root === 'meta') {
          map.set(id, value)
          continue
        }
        if (!value || typeof value !== 'object' || Array.isArray(value)) continue
        const entry = new Y.Map<unknown>()
        for (const [k, v] of Object.entries(value)) if (v !== undefined) entry.set(k, v)
        map.set(id, entry)
      }
    }
  })
  return doc
}

/** Centres the content; zooms out only when it does not fit (never in). */
function fitIntoView(xapi: ExcalidrawImperativeAPI): void {
  const elements = xapi.getSceneElements()
  if (elements.length === 0) return
  const [x1, y1, x2, y2] = getCommonBounds(elements)
  const { width, height, zoom } = xapi.getAppState()
  if ((x2 - x1) * zoom.value < width * 0.9 && (y2 - y1) * zoom.value < height * 0.9) xapi.scrollToContent(elements)
  else xapi.scrollToContent(elements, { fitToViewport: true, viewportZoomFactor: 0.9 })
}

const COMPARE_AGAIN_MS = 1500

/** The version's content, and what differs from the live board (compared again a moment after the live board changes). */
function useVersion(api: ApiClient, boardId: string, versionId: string, live: Y.Doc): { loaded: Loaded | null; error: string | null } {
  const [loaded, setLoaded] = useState<Loaded | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let cancelled = false
    let timer = 0
    setError(null)
    const compare = () =>
      api.versionDiff(boardId, versionId).then(
        (d) => !cancelled && setLoaded((cur) => (cur?.versionId === versionId ? { ...cur, changes: d.changes } : cur)),
        (e: unknown) => !cancelled && setError(errorText(e)),
      )
    const onLiveUpdate = () => {
      clearTimeout(timer)
      timer = window.setTimeout(() => void compare(), COMPARE_AGAIN_MS)
    }
    api.versionDocument(boardId, versionId).then(
      (v) => {
        if (cancelled) return
        setLoaded({ versionId, doc: docFromContent(v.content), content: v.content, changes: null })
        // The comparison may take longer; the picture comes first.
        void compare()
        live.on('update', onLiveUpdate)
      },
      (e: unknown) => !cancelled && setError(errorText(e)),
    )
    return () => {
      cancelled = true
      clearTimeout(timer)
      live.off('update', onLiveUpdate)
    }
  }, [boardId, versionId, live])
  useEffect(() => () => loaded?.doc.destroy(), [loaded?.doc])
  return { loaded, error }
}

export function VersionPreview(p: VersionPreviewProps) {
  const [xapi, setXapi] = useState<ExcalidrawImperativeAPI | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [restoring, setRestoring] = useState(false)
  const [restoreError, setRestoreError] = useState<string | null>(null)
  const { loaded, error } = useVersion(p.api, p.boardId, p.versionId, p.live)
  const version = p.versions.find((v) => v.id === p.versionId) ?? null
  const oldestFirst = [...p.versions].reverse()
  const position = oldestFirst.findIndex((v) => v.id === p.versionId)

  // The version's content → the preview scene; the first one is fitted into view, later ones keep the view to compare.
  const [fitted, setFitted] = useState(false)
  const doc = loaded?.doc ?? null
  useEffect(() => {
    if (!xapi || !doc) return
    const binding = new SceneBinding(doc, xapi, () => VIEW_ONLY)
    const files = new BoardFiles(xapi, p.boardId, p.token, () => {}, () => {})
    let waiting = 0
    const start = () => {
      if (xapi.getAppState().isLoading) return void (waiting = requestAnimationFrame(start))
      waiting = 0
      binding.loadAll()
      files.fetchMissing(xapi.getSceneElements())
      if (!fitted) {
        fitIntoView(xapi)
        setFitted(true)
      }
    }
    start()
    return () => {
      cancelAnimationFrame(waiting)
      files.stop()
      binding.destroy()
    }
  }, [xapi, doc])

  // For tests and debugging only (opt-in), like the live canvas's handle.
  useEffect(() => {
    if (!xapi || !localStorage.getItem('drawbridge.debug')) return
    const w = window as { __drawbridge?: Record<string, unknown> }
    w.__drawbridge = { ...w.__drawbridge, preview: xapi }
    return () => {
      if (w.__drawbridge) delete w.__drawbridge.preview
    }
  }, [xapi])

  useEffect(() => {
    setConfirming(false)
    setRestoreError(null)
  }, [p.versionId])

  const restore = async () => {
    if (!version || !p.onRestore || restoring) return
    setRestoring(true)
    setRestoreError(null)
    try {
      await p.onRestore(version)
    } catch (e) {
      setRestoreError(errorText(e))
      setRestoring(false)
    }
  }

  const liveEntry = (root: string, id: string) => {
    const v = p.live.getMap<unknown>(root).get(id)
    return v instanceof Y.Map ? (v.toJSON() as Record<string, unknown>) : null
  }
  const show = (id: string) => {
    const el = xapi?.getSceneElements().find((e) => e.id === id)
    if (el) xapi!.scrollToContent(el, { fitToViewport: true, viewportZoomFactor: 0.5, animate: true })
  }
  const ready = loaded?.versionId === p.versionId

  return (
    <section
      className="history-preview"
      aria-label="Version preview"
      data-testid="version-preview"
      onKeyDown={(e) => {
        // Keys here are the preview's: the live canvas (which listens on the whole page) must not act on them.
        e.stopPropagation()
        if (e.key === 'Escape' && !confirming) p.onClose()
      }}
    >
      <div className="preview-bar">
        <div className="preview-title">
          <strong>{version ? versionLabel(version) : 'Version'}</strong>
          <span className="muted small">
            {version ? versionTime(version.createdAt) : ''}
            {version?.createdBy ? (
              <>
                {' · by '}
                <PersonName person={version.createdBy} me={p.me} />
              </>
            ) : null}
          </span>
        </div>
        {oldestFirst.length > 1 ? (
          <label className="preview-slider small">
            <span className="sr-only">Version</span>
            <span aria-hidden="true">Older</span>
            <input
              type="range"
              min={0}
              max={oldestFirst.length - 1}
              step={1}
              value={Math.max(0, position)}
              aria-valuetext={version ? `${versionLabel(version)}, ${versionTime(version.createdAt)}` : undefined}
              onChange={(e) => {
                const next = oldestFirst[Number((e.target as HTMLInputElement).value)]
                if (next) p.onSelect(next.id)
              }}
              onKeyDown={(e) => e.stopPropagation()}
            />
            <span aria-hidden="true">Newer</span>
          </label>
        ) : null}
        <div className="row">
          {p.onRestore && version && !confirming ? (
            <button type="button" className="button button-primary" disabled={!ready} onClick={() => setConfirming(true)}>
              Restore this version
            </button>
          ) : null}
          <button type="button" className="button" onClick={p.onClose}>
            Close preview
          </button>
        </div>
      </div>
      {confirming && version ? (
        <div className="banner banner-info preview-confirm" role="alertdialog" aria-label="Restore this version?">
          <span>
            Put the whole board back to how it was at {versionTime(version.createdAt)}, for everyone? The board as it is now is saved as a version first, so you can come back to it.
          </span>
          <span className="row">
            <button type="button" className="button button-primary" disabled={restoring} onClick={() => void restore()} autoFocus>
              {restoring ? 'Restoring…' : 'Restore'}
            </button>
            <button type="button" className="button" disabled={restoring} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
          {restoreError ? <span className="error">{restoreError}</span> : null}
        </div>
      ) : null}
      {error ? <p className="error preview-error">{error}</p> : null}
      <div className="preview-body">
        <div className="preview-canvas" data-testid="preview-canvas">
          <Excalidraw
            excalidrawAPI={setXapi}
            viewModeEnabled
            zenModeEnabled
            aiEnabled={false}
            validateEmbeddable={false}
            langCode="en"
            UIOptions={{ canvasActions: { loadScene: false, saveToActiveFile: false, export: false, saveAsImage: false, clearCanvas: false, toggleTheme: null, changeViewBackgroundColor: false } }}
          />
          {xapi && ready && loaded.changes ? <ChangeOutlines api={xapi} changes={loaded.changes} /> : null}
          {!ready ? <div className="preview-loading muted">Loading this version…</div> : null}
        </div>
        <div className="preview-changes">
          <h3>Since this version</h3>
          {ready ? <ChangeList changes={loaded.changes} content={loaded.content} liveEntry={liveEntry} me={p.me} onShow={show} /> : null}
        </div>
      </div>
    </section>
  )
}
