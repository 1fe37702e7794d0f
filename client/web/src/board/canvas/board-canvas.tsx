// The drawing surface: Excalidraw bound to the board document, with our
// rules on top (view mode for readers, someone else's work locked for
// reviewers, no image or embed tools for guests), presence and follow through
// Excalidraw's collaborators, our comment pins, and undo/redo of one's own
// changes only (a Y.UndoManager; Excalidraw's history is bypassed), and a
// host's summon ("bring everyone to me") fitted into our view.
import { Excalidraw, MainMenu } from '@excalidraw/excalidraw'
import '@excalidraw/excalidraw/index.css'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { type RefObject, useEffect, useMemo, useRef, useState } from 'react'
import type * as Y from 'yjs'
import type { Attribution } from '../../../../../shared/history.js'
import type { Anchor, Thread } from '../../../../../shared/types.js'
import type { PrivateNote } from '../../../../../shared/session.js'
import type { ApiClient, BoardConnection, PresenceState } from '../../../../sdk/index.js'
import { Icon } from '../../ui/icon.js'
import { AttributionTooltip } from '../history/attribution-tooltip.js'
import { PrivateLayer } from '../notes/private-layer.js'
import { PrivateOutline } from '../notes/private-outline.js'
import type { Votes } from '../votes/use-votes.js'
import { VoteLayer } from '../votes/vote-layer.js'
import { GuestToolStyle, guestToolHint, startTool } from './guest-tools.js'
import { type Blocked, type Rights, SceneBinding } from './binding.js'
import { CommentLayer } from './comment-layer.js'
import { exportBoard } from './export.js'
import { BoardFiles } from './files.js'
import { elementAt } from './hit-test.js'
import { collaborators, fitView, followView, movedFrom, PresencePublisher, type SetView, type Viewport, viewportOf, visibleScene } from './presence-sync.js'

export interface CanvasHandle {
  exportImage(kind: 'png' | 'svg'): Promise<boolean>
  /** The centre of what we see, in scene coordinates. */
  viewCenter(): { x: number; y: number } | null
  /** What we see, in scene coordinates (for a summon). */
  visibleScene(): Viewport | null
}

/** A host's summon we are on: their view now, then their moves (presence) until we break away. */
export interface CanvasSummon {
  /** Changes with every new summon. */
  at: string
  viewport: Viewport
  presenterId: string
  /** Presenter mode for us: our own pans and zooms snap back. */
  held: boolean
}

export interface CanvasProps {
  doc: Y.Doc
  boardId: string
  title: string
  token: string
  rights: Rights
  undo: Y.UndoManager
  connection: BoardConnection | null
  presence: PresenceState[]
  following: string | null
  onFollow: (userId: string | null) => void
  canComment: boolean
  commenting: boolean
  setCommenting: (on: boolean) => void
  canMarkup: boolean
  setMarkupMode: (on: boolean) => void
  threads: Thread[]
  showResolved: boolean
  draftAnchor: Anchor | null
  onOpenThread: (id: string) => void
  onCommentAt: (anchor: Anchor) => void
  onError: (message: string) => void
  handle: RefObject<CanvasHandle | null>
  /** While set (the history panel is open), hovering an element says who made and last changed it. */
  attribution?: Attribution | null
  summon?: CanvasSummon | null
  /** We panned or zoomed away from a summon that does not hold us. */
  onBreakAway?: () => void
  /** Private notes: `on` while private mode keeps our new elements out of the document; `notes` the server's list of ours. */
  privateNotes?: { on: boolean; api: ApiClient; notes: PrivateNote[] | null; onSaved(): void }
  /** The dot vote: our ballots and the − / + control while it runs, the counts once it ended. */
  votes?: { votes: Votes; canVote: boolean; onBallot: (elementId: string, add: boolean) => Promise<void> }
}

const HINTS: Record<Blocked, string> = {
  'not-yours': 'As a reviewer you can change only your own markup.',
  'guest-type': 'Guests cannot add images or embeds; sign up to add them.',
  'guest-tool': 'The host limited what guests can add on this board.',
  'locked-frame': 'The host locked this frame: guests cannot change it or what is in it.',
  svg: 'Only PNG, JPEG, GIF and WebP images can be added.',
}

const isTyping = (target: EventTarget | null) => target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))

// Excalidraw's own phone layout starts here (editor width up to 730 px, or a short landscape screen).
const MOBILE = '(max-width: 730px), (max-height: 500px) and (max-width: 1000px)'

function useMobile(): boolean {
  const [mobile, setMobile] = useState(() => matchMedia(MOBILE).matches)
  useEffect(() => {
    const query = matchMedia(MOBILE)
    const update = () => setMobile(query.matches)
    query.addEventListener('change', update)
    return () => query.removeEventListener('change', update)
  }, [])
  return mobile
}

export function BoardCanvas(p: CanvasProps) {
  const [api, setApi] = useState<ExcalidrawImperativeAPI | null>(null)
  const [hint, setHint] = useState<string | null>(null)
  const live = useRef(p)
  live.current = p
  const binding = useRef<SceneBinding | null>(null)
  const [layer, setLayer] = useState<PrivateLayer | null>(null)
  const hintTimer = useRef(0)
  const showHint = (text: string) => {
    setHint(text)
    clearTimeout(hintTimer.current)
    hintTimer.current = window.setTimeout(() => setHint(null), 3500)
  }
  const publisher = useRef(new PresencePublisher(() => live.current.connection))
  const followed = useRef<SetView | null>(null)
  // The view a summon set, and the presenter's published view we last applied.
  const summoned = useRef<{ set: SetView; view: Viewport; width: number; height: number } | null>(null)
  const presenterSeen = useRef('')
  /** Fits a summon's view into ours and remembers it, to tell our own moves (and a resized canvas) from it. */
  const fitSummon = (api: ExcalidrawImperativeAPI, view: Viewport) => {
    const { width, height } = api.getAppState()
    summoned.current = { set: fitView(api, view), view, width, height }
  }

  // The binding lives as long as the document (a refusal brings a fresh one).
  useEffect(() => {
    if (!api) return
    const b = new SceneBinding(p.doc, api, () => live.current.rights)
    const files = new BoardFiles(
      api,
      p.boardId,
      p.token,
      (m) => live.current.onError(m),
      (fileId) => {
        b.removeImages(fileId)
        showHint(HINTS.svg)
      },
    )
    b.onImageAdded = (el) => files.upload(el)
    b.onBlocked = (why) => showHint(HINTS[why])
    // One undo step per gesture, key command or text edit, however fast the next one follows.
    b.onWritten = (step) => step && live.current.undo.stopCapturing()
    const notes = live.current.privateNotes
    const privateLayer = notes
      ? new PrivateLayer(api, {
          api: notes.api,
          boardId: p.boardId,
          active: () => !!live.current.privateNotes?.on,
          me: () => live.current.rights.me,
          onError: (m) => live.current.onError(m),
          onSaved: () => live.current.privateNotes?.onSaved(),
        })
      : null
    if (privateLayer) privateLayer.inDocument = (id) => p.doc.getMap('shapes').has(id) || p.doc.getMap('markup').has(id)
    b.local = privateLayer
    setLayer(privateLayer)
    binding.current = b
    // Excalidraw takes its initial data asynchronously and replaces the scene when it is done; load after that.
    let waiting = 0
    const start = () => {
      if (api.getAppState().isLoading) return void (waiting = requestAnimationFrame(start))
      waiting = 0
      b.loadAll()
      const saved = live.current.privateNotes?.notes
      if (privateLayer && saved) privateLayer.reconcile(saved)
      files.fetchMissing(api.getSceneElements())
    }
    start()
    let imageCount = -1
    const offChange = api.onChange((elements, state) => {
      b.schedule()
      files.tick()
      publisher.current.selected(state.selectedElementIds)
      // A tool the host did not allow guests (a shortcut key) is put back to selection.
      const refusedTool = guestToolHint(live.current.rights, state.activeTool.type)
      if (refusedTool) {
        api.setActiveTool({ type: 'selection' })
        showHint(refusedTool)
      }
      // The canvas changed size under a summon (a banner came or went, a phone turned): fit the view again.
      const s = summoned.current
      if (s && (s.width !== state.width || s.height !== state.height)) fitSummon(api, s.view)
      // Someone added an image: fetch its file. Counting first keeps this off the per-frame path.
      const images = elements.reduce((n, e) => (e.type === 'image' && !e.isDeleted ? n + 1 : n), 0)
      if (images !== imageCount) {
        imageCount = images
        files.fetchMissing(elements)
      }
    })
    const offUp = api.onPointerUp(() => {
      live.current.undo.stopCapturing()
      b.schedule()
    })
    const offDown = api.onPointerDown((tool, state) => {
      const rights = live.current.rights
      if (tool.type !== 'selection' || rights.scope === 'none') return
      const el = elementAt(api, state.origin.x, state.origin.y)
      if (el && rights.lockedFrames?.length && (rights.lockedFrames.includes(el.id) || (el.frameId && rights.lockedFrames.includes(el.frameId)))) return showHint(HINTS['locked-frame'])
      if (rights.scope !== 'own_markup') return
      if (el && !b.writable(el.id)) {
        const author = b.authorOf(el.id)
        showHint(`${author ? `${author.name} made this. ` : ''}${HINTS['not-yours']}`)
      }
    })
    const offScroll = api.onScrollChange((scrollX, scrollY, zoom) => {
      publisher.current.viewport(api.getAppState())
      const f = followed.current
      // Our own pan or zoom ends following; the view we set ourselves does not.
      if (f && movedFrom(f, scrollX, scrollY, zoom.value)) {
        followed.current = null
        live.current.onFollow(null)
      }
      const s = summoned.current
      if (s && movedFrom(s.set, scrollX, scrollY, zoom.value)) {
        // Presenter mode holds us on the presenter's view; otherwise moving is breaking away.
        if (live.current.summon?.held) fitSummon(api, s.view)
        else {
          summoned.current = null
          live.current.onBreakAway?.()
        }
      }
    })
    publisher.current.viewport(api.getAppState())
    if (import.meta.env.PROD && localStorage.getItem('drawbridge.debug')) Object.assign(window, { __drawbridge: { ...(window as { __drawbridge?: object }).__drawbridge, excalidraw: api } })
    return () => {
      cancelAnimationFrame(waiting)
      offChange()
      offUp()
      offDown()
      offScroll()
      files.stop()
      b.destroy()
      privateLayer?.destroy()
      binding.current = null
    }
  }, [api, p.doc])

  // New rights (a role change, the welcome naming us): locks and what is ours change.
  const rightsKey = `${p.rights.scope}:${p.rights.me?.kind}:${p.rights.me?.id}`
  const firstRights = useRef(true)
  useEffect(() => {
    if (firstRights.current) return void (firstRights.current = false)
    binding.current?.loadAll()
  }, [rightsKey])

  // The server's list of our private notes changed (opened, revealed): the scene follows.
  useEffect(() => {
    if (layer && p.privateNotes?.notes && api && !api.getAppState().isLoading) layer.reconcile(p.privateNotes.notes)
  }, [layer, p.privateNotes?.notes])

  // A guest who may draw lands with a drawing tool (one the host allows): the first drag draws.
  const initialData = useMemo(() => {
    const tool = p.rights.scope !== 'none' && p.rights.guest ? startTool(p.rights) : null
    return tool ? { appState: { activeTool: { type: tool, customType: null, locked: false, lastActiveTool: null } } } : null
  }, [])

  useEffect(() => {
    api?.updateScene({ collaborators: collaborators(p.presence) })
  }, [api, p.presence])

  useEffect(() => {
    if (!api) return
    if (!p.following) {
      if (followed.current) api.updateScene({ appState: { userToFollow: null } })
      followed.current = null
      return
    }
    const them = p.presence.find((s) => s.user.id === p.following)
    if (!them) return p.onFollow(null)
    followed.current = followView(api, them) ?? followed.current
  }, [api, p.following, p.presence])

  // A summon fits the presenter's view into ours at once; while it lasts we
  // keep up with their moves (their published view, once it changes).
  const summonAt = p.summon?.at ?? null
  useEffect(() => {
    if (!api || !p.summon) {
      summoned.current = null
      return
    }
    const view = p.summon.viewport
    presenterSeen.current = JSON.stringify(viewportOf(p.presence.find((x) => x.user.id === p.summon?.presenterId)))
    fitSummon(api, view)
  }, [api, summonAt])
  useEffect(() => {
    if (!api || !p.summon || !summoned.current) return
    const view = viewportOf(p.presence.find((x) => x.user.id === p.summon?.presenterId))
    const key = JSON.stringify(view)
    if (!view || key === presenterSeen.current) return
    presenterSeen.current = key
    fitSummon(api, view)
  }, [api, summonAt, p.presence])

  // Undo and redo are ours (own changes only), before Excalidraw sees the keys.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || isTyping(e.target)) return
      const key = e.key.toLowerCase()
      const redo = (key === 'z' && e.shiftKey) || key === 'y'
      if (key !== 'z' && key !== 'y') return
      e.preventDefault()
      e.stopImmediatePropagation()
      binding.current?.flush()
      if (redo) live.current.undo.redo()
      else live.current.undo.undo()
    }
    window.addEventListener('keydown', onKey, true)
    return () => window.removeEventListener('keydown', onKey, true)
  }, [])

  useEffect(() => {
    p.handle.current = {
      exportImage: async (kind) => (api ? exportBoard(api, kind, live.current.title) : false),
      viewCenter: () => {
        if (!api) return null
        const s = api.getAppState()
        return { x: s.width / 2 / s.zoom.value - s.scrollX, y: s.height / 2 / s.zoom.value - s.scrollY }
      },
      visibleScene: () => (api ? visibleScene(api.getAppState()) : null),
    }
  }, [api])

  const readOnly = p.rights.scope === 'none'
  const mobile = useMobile()
  const actions = (
          <div className={`canvas-actions${mobile ? ' canvas-actions-mobile' : ''}`} role="toolbar" aria-label="Board tools">
            {p.canComment ? (
              <button type="button" className="tool" aria-pressed={p.commenting} aria-label="Comment (C)" title="Comment (C)" data-tool="comment" onClick={() => p.setCommenting(!p.commenting)}>
                <Icon d="M4 5h16v11H10l-4 4v-4H4z" />
              </button>
            ) : null}
            {p.canMarkup ? (
              <button type="button" className="tool" aria-pressed={p.rights.markupMode} aria-label="Add as review markup" title="New drawings go on the review markup layer, above all shapes" onClick={() => p.setMarkupMode(!p.rights.markupMode)}>
                <Icon d="M4 20h8M6 16l8-8 4 4-8 8H6z" />
              </button>
            ) : null}
            {!readOnly ? (
              <>
                <button type="button" className="tool" aria-label="Undo (Ctrl+Z)" title="Undo your last change (Ctrl+Z)" disabled={p.undo.undoStack.length === 0} onClick={() => p.undo.undo()}>
                  <Icon d="M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3" />
                </button>
                <button type="button" className="tool" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={p.undo.redoStack.length === 0} onClick={() => p.undo.redo()}>
                  <Icon d="M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3" />
                </button>
              </>
            ) : null}
          </div>
          )
  return (
    <div className={`canvas${p.commenting ? ' canvas-commenting' : ''}${p.rights.guest ? ' canvas-guest' : ''}`} data-testid="canvas">
      <Excalidraw
        excalidrawAPI={setApi}
        initialData={initialData}
        viewModeEnabled={readOnly}
        isCollaborating
        handleKeyboardGlobally
        autoFocus
        aiEnabled={false}
        validateEmbeddable={false}
        langCode="en"
        UIOptions={{ tools: { image: !p.rights.guest }, canvasActions: { loadScene: false, saveToActiveFile: false, export: false, saveAsImage: true, clearCanvas: false, toggleTheme: null, changeViewBackgroundColor: false } }}
        onPointerUpdate={({ pointer, button }) => publisher.current.pointer(pointer, button)}
        onUserFollow={({ userToFollow, action }) => {
          const who = live.current.presence.find((s) => String(s.clientId) === userToFollow.socketId)
          live.current.onFollow(action === 'FOLLOW' && who ? who.user.id : null)
        }}
        renderTopRightUI={(isMobile) => (isMobile ? null : actions)}
      >
        <MainMenu>
          <MainMenu.DefaultItems.SaveAsImage />
          <MainMenu.Item onSelect={() => void p.handle.current?.exportImage('png')} data-testid="export-png">
            Export PNG
          </MainMenu.Item>
          <MainMenu.Item onSelect={() => void p.handle.current?.exportImage('svg')} data-testid="export-svg">
            Export SVG
          </MainMenu.Item>
          <MainMenu.DefaultItems.Help />
        </MainMenu>
      </Excalidraw>
      {api ? (
        <CommentLayer
          api={api}
          threads={p.threads}
          showResolved={p.showResolved}
          commenting={p.commenting}
          draftAnchor={p.draftAnchor}
          onOpenThread={p.onOpenThread}
          onCommentAt={p.onCommentAt}
        />
      ) : null}
      {api && layer ? <PrivateOutline api={api} layer={layer} /> : null}
      {api && p.votes ? <VoteLayer api={api} {...p.votes} /> : null}
      {p.rights.guest ? <GuestToolStyle rights={p.rights} /> : null}
      {api && p.attribution ? <AttributionTooltip api={api} doc={p.doc} attribution={p.attribution} /> : null}
      {/* On a phone Excalidraw's top row holds its tools only; ours float at the right edge. */}
      {mobile ? actions : null}
      {hint ? (
        <div className="canvas-hint" role="status" data-testid="canvas-hint">
          {hint}
        </div>
      ) : null}
    </div>
  )
}
