// /b/:boardId — the board: header, banners, canvas, toolbar, panels, dialogs.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import * as Y from 'yjs'
import { refusalMessages } from '../../../../shared/constants.js'
import type { Anchor } from '../../../../shared/types.js'
import { errorText } from '../lib/api.js'
import { session } from '../lib/session.js'
import { Loading } from '../ui/screens.js'
import { Toasts } from '../ui/toasts.js'
import { abilities as computeAbilities } from './abilities.js'
import { BoardHeader } from './board-header.js'
import { fitRect, MAX_ZOOM } from './camera.js'
import { Canvas } from './canvas.js'
import { onKeyDown, onKeyUp } from './commands.js'
import { CommentsPanel } from './comments-panel.js'
import { CanvasController } from './controller.js'
import { DocModel, LOCAL } from './doc-model.js'
import { exportPng, exportSvg } from './export.js'
import { FatalScreen } from './fatal-screen.js'
import { ParticipantsPanel } from './participants-panel.js'
import { ShareDialog } from './share-dialog.js'
import { download } from './export.js'
import { TempBanner } from './temp-banner.js'
import { Toolbar } from './toolbar.js'
import { availableTools } from './tools.js'
import { useBoardSession } from './use-board-session.js'

type Panel = 'people' | 'comments' | null

export function BoardPage({ boardId }: { boardId: string }) {
  const s = useBoardSession(boardId)
  const [panel, setPanel] = useState<Panel>(null)
  const [sharing, setSharing] = useState(false)
  const [openThread, setOpenThread] = useState<string | null>(null)
  const [draftAnchor, setDraftAnchor] = useState<Anchor | null>(null)
  const [showResolved, setShowResolved] = useState(false)
  const [following, setFollowing] = useState<string | null>(null)
  const [claiming, setClaiming] = useState(false)
  const [style, setStyle] = useState({ stroke: '#1e1e1e', fill: 'none' })
  const [, setUndoTick] = useState(0)

  const model = useMemo(() => (s.doc ? new DocModel(s.doc) : null), [s.doc])
  useEffect(() => () => model?.destroy(), [model])
  const undo = useMemo(() => {
    if (!s.doc) return null
    // Only this person's own edits are undone, never someone else's.
    return new Y.UndoManager([s.doc.getMap('shapes'), s.doc.getMap('markup')], { trackedOrigins: new Set([LOCAL]), captureTimeout: 400 })
  }, [s.doc])
  useEffect(() => {
    if (!undo) return
    const bump = () => setUndoTick((t) => t + 1)
    undo.on('stack-item-added', bump)
    undo.on('stack-item-popped', bump)
    return () => undo.destroy()
  }, [undo])

  const abilities = computeAbilities({
    role: s.role,
    guest: s.guest,
    ownerless: s.board?.ownerless ?? false,
    locked: s.flags.locked,
    archived: s.flags.archived,
  })
  const tools = availableTools(abilities)

  // The controller lives as long as the page; it reads the current doc, model and rights through refs.
  const live = useRef({ s, model, abilities, style, undo })
  live.current = { s, model, abilities, style, undo }
  const controller = useMemo(
    () =>
      new CanvasController({
        doc: () => live.current.s.doc!,
        model: () => live.current.model!,
        abilities: () => live.current.abilities,
        me: () => live.current.s.me,
        style: () => live.current.style,
        onComment: (anchor) => {
          setDraftAnchor(anchor)
          setOpenThread(null)
          setPanel('comments')
        },
        onGestureEnd: () => live.current.undo?.stopCapturing(),
      }),
    [],
  )
  const [, setControllerTick] = useState(0)
  useEffect(() => controller.subscribe(() => setControllerTick((t) => t + 1)), [controller])

  // A role change can take a tool away (an editor made reader) or bring
  // selection back (the role arrived, a reader promoted): pick a sensible one.
  const toolIds = tools.map((t) => t.id).join()
  const previousTools = useRef('')
  useEffect(() => {
    const hadSelect = previousTools.current.split(',').includes('select')
    previousTools.current = toolIds
    const preferred = tools.some((t) => t.id === 'select') ? 'select' : 'hand'
    if (!tools.some((t) => t.id === controller.tool) || (controller.tool === 'hand' && !hadSelect && preferred === 'select')) controller.setTool(preferred)
    if (controller.selection.length && !controller.selectedItems().length) controller.select([])
  }, [toolIds])

  // A fresh document after a refusal: drop selection and editing state that pointed into the old one.
  useEffect(() => {
    controller.select([])
    controller.edit(null)
  }, [s.doc])

  // For tests and debugging only (opt-in): the server enforces every rule anyway.
  useEffect(() => {
    if (s.doc && localStorage.getItem('drawbridge.debug')) Object.assign(window, { __drawbridge: { doc: s.doc, connection: s.connection } })
  }, [s.doc])

  const dialogOpen = sharing
  useEffect(() => {
    const down = (e: KeyboardEvent) => onKeyDown(e, { controller, undo: () => live.current.undo, tools: availableTools(live.current.abilities), blocked: () => dialogOpen })
    const up = (e: KeyboardEvent) => onKeyUp(e, controller)
    window.addEventListener('keydown', down)
    window.addEventListener('keyup', up)
    return () => {
      window.removeEventListener('keydown', down)
      window.removeEventListener('keyup', up)
    }
  }, [controller, dialogOpen])

  // Publish our viewport (for followers) and cursor, a few times a second at most.
  const lastCursor = useRef(0)
  useEffect(() => {
    const publish = () => {
      const c = controller.camera
      s.connection?.setPresence({ viewport: { x: c.x, y: c.y, w: controller.width / c.zoom, h: controller.height / c.zoom } })
    }
    // Right away too, so someone can follow us before we ever move.
    publish()
    return controller.subscribe((what) => what === 'camera' && publish())
  }, [controller, s.connection])
  const onPointerWorld = (p: { x: number; y: number } | null) => {
    const now = performance.now()
    if (p && now - lastCursor.current < 40) return
    lastCursor.current = now
    s.connection?.setPresence({ cursor: p ? { x: Math.round(p.x), y: Math.round(p.y) } : null })
  }

  // Following: our camera shows what they see until we move ourselves.
  useEffect(() => {
    if (!following) return
    const them = s.presence.find((p) => p.user.id === following)
    const v = them?.viewport as { x: number; y: number; w: number; h: number } | undefined
    if (!them) return setFollowing(null)
    if (v && [v.x, v.y, v.w, v.h].every(Number.isFinite)) controller.setCamera(fitRect(v, controller.width, controller.height, 0, MAX_ZOOM))
  }, [following, s.presence])
  useEffect(() => {
    if (!following) return
    const stop = () => setFollowing(null)
    const el = document.querySelector('.canvas')
    el?.addEventListener('pointerdown', stop)
    el?.addEventListener('wheel', stop)
    return () => {
      el?.removeEventListener('pointerdown', stop)
      el?.removeEventListener('wheel', stop)
    }
  }, [following])

  if (s.fatal) return <FatalScreen fatal={s.fatal} boardId={boardId} guest={s.guest} />
  if (!s.board || !model || !s.doc) return <Loading what="Opening the board…" />
  const board = s.board

  const downloadCopy = async () => {
    const copy = await s.api.exportBoard(board.id)
    download(new Blob([JSON.stringify(copy, null, 2)], { type: 'application/json' }), `${board.title.replace(/[\\/:*?"<>|]+/g, '').trim() || 'board'}.json`)
  }

  const claim = async () => {
    setClaiming(true)
    try {
      const claimed = await s.api.claimBoard(board.id)
      s.setBoard(claimed)
      s.toast('You claimed this board; it is yours and will not be deleted.')
    } catch (e) {
      s.toast(errorText(e), 'error')
    } finally {
      setClaiming(false)
    }
  }

  const onExport = async (kind: 'png' | 'svg') => {
    const ok = kind === 'svg' ? exportSvg(model, board.title) : await exportPng(model, board.title)
    if (!ok) s.toast('The board is empty; there is nothing to export.')
  }

  const members = abilities.mention ? s.participants.filter((p) => p.kind === 'user' && p.id !== s.me?.id) : []
  const online = new Set(s.presence.map((p) => p.user.id)).size + 1
  const readOnly = !abilities.content && !abilities.markup
  return (
    <div class="board-page">
      <BoardHeader
        api={s.api}
        board={board}
        role={s.role}
        guest={s.guest}
        saveState={s.saveState}
        online={online}
        unresolved={s.threads.filter((t) => !t.resolved).length}
        canShare={abilities.share}
        member={!s.guest}
        notifications={s.notifications}
        setNotifications={s.setNotifications}
        onPeople={() => setPanel(panel === 'people' ? null : 'people')}
        onComments={() => setPanel(panel === 'comments' ? null : 'comments')}
        onShare={() => setSharing(true)}
      />
      <TempBanner
        board={board}
        guest={s.guest}
        canClaim={abilities.claim && !s.guest}
        onClaim={() => void claim()}
        claiming={claiming}
        onDownload={() => void downloadCopy()}
      />
      {abilities.blockedBy ? (
        <div class="banner banner-info" role="note" data-testid="locked-banner">
          {refusalMessages[abilities.blockedBy]}
          {s.flags.locked && abilities.comment ? ' You can still comment.' : ''}
        </div>
      ) : null}
      {readOnly && !s.flags.locked && !s.flags.archived ? (
        <div class="banner banner-info" role="note" data-testid="view-only-banner">
          You can view this board: pan, zoom and follow others{abilities.comment ? ', and comment' : ''}.
        </div>
      ) : null}
      <div class="board-body">
        <Canvas
          controller={controller}
          model={model}
          presence={s.presence}
          threads={s.threads}
          showResolved={showResolved}
          onOpenThread={(id) => {
            setOpenThread(id)
            setDraftAnchor(null)
            setPanel('comments')
          }}
          onPointerWorld={onPointerWorld}
          readOnly={readOnly}
        />
        <Toolbar controller={controller} tools={tools} abilities={abilities} undo={undo} style={style} setStyle={setStyle} onExport={(k) => void onExport(k)} />
        {following ? (
          <div class="follow-note" role="status">
            Following {s.presence.find((p) => p.user.id === following)?.user.name ?? ''}
            <button type="button" class="button button-ghost" onClick={() => setFollowing(null)}>
              Stop
            </button>
          </div>
        ) : null}
        {panel === 'people' ? (
          <ParticipantsPanel participants={s.participants} presence={s.presence} meId={s.me?.id ?? null} following={following} onFollow={setFollowing} onClose={() => setPanel(null)} />
        ) : null}
        {panel === 'comments' ? (
          <CommentsPanel
            threads={s.threads}
            openId={openThread}
            draftAnchor={draftAnchor}
            canComment={abilities.comment}
            members={members}
            me={s.me}
            isOwner={abilities.moderate}
            showResolved={showResolved}
            setShowResolved={setShowResolved}
            onOpen={setOpenThread}
            onCreate={async (anchor, body) => {
              try {
                const t = await s.api.createComment(board.id, anchor, body)
                s.setThreads((ts) => (ts.some((x) => x.id === t.id) ? ts : [...ts, t]))
                setDraftAnchor(null)
                setOpenThread(t.id)
                if (controller.tool === 'comment') controller.setTool(tools.some((x) => x.id === 'select') ? 'select' : 'hand')
              } catch (e) {
                s.toast(errorText(e), 'error')
                throw e
              }
            }}
            onReply={async (threadId, body) => {
              try {
                const r = await s.api.reply(board.id, threadId, body)
                s.setThreads((ts) => ts.map((t) => (t.id === threadId && !t.replies.some((x) => x.id === r.id) ? { ...t, replies: [...t.replies, r] } : t)))
              } catch (e) {
                s.toast(errorText(e), 'error')
                throw e
              }
            }}
            onResolve={async (threadId, resolved) => {
              try {
                const t = await s.api.updateThread(board.id, threadId, { resolved })
                s.setThreads((ts) => ts.map((x) => (x.id === t.id ? t : x)))
              } catch (e) {
                s.toast(errorText(e), 'error')
              }
            }}
            onDelete={async (threadId) => {
              try {
                await s.api.deleteThread(board.id, threadId)
                s.setThreads((ts) => ts.filter((x) => x.id !== threadId))
                setOpenThread(null)
              } catch (e) {
                s.toast(errorText(e), 'error')
              }
            }}
            onCancelDraft={() => setDraftAnchor(null)}
            onClose={() => {
              setPanel(null)
              setDraftAnchor(null)
            }}
          />
        ) : null}
      </div>
      {sharing && s.role ? (
        <ShareDialog
          api={s.api}
          board={board}
          myRole={s.role}
          meId={s.me?.id ?? session.user()?.user.id ?? null}
          abilities={abilities}
          participants={s.participants}
          onBoard={s.setBoard}
          onParticipantsChanged={s.refreshParticipants}
          onClose={() => setSharing(false)}
        />
      ) : null}
      <Toasts toasts={s.toasts} dismiss={s.dismiss} />
    </div>
  )
}
