// /b/:boardId — the board: header, banners, canvas, panels, dialogs. The
// canvas (Excalidraw) is a chunk of its own, fetched as soon as this page
// starts, in parallel with the board and its document.
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react'
import * as Y from 'yjs'
import { refusalMessages } from '../../../../shared/constants.js'
import type { Anchor } from '../../../../shared/types.js'
import { errorText } from '../lib/api.js'
import { session } from '../lib/session.js'
import { Loading } from '../ui/screens.js'
import { Toasts } from '../ui/toasts.js'
import { abilities as computeAbilities } from './abilities.js'
import { BoardHeader } from './board-header.js'
import type { CanvasHandle } from './canvas/board-canvas.js'
import type { Rights } from './canvas/binding.js'
import { CommentsPanel } from './comments-panel.js'
import { LOCAL } from './doc-model.js'
import { download } from './download.js'
import { FatalScreen } from './fatal-screen.js'
import { editorsMayRestoreOf, HistoryViews } from './history/history-views.js'
import type { RevertTarget } from './history/revert-dialog.js'
import { useHistory } from './history/use-history.js'
import { ParticipantsPanel } from './participants-panel.js'
import { SessionBanners } from './session/session-banners.js'
import { SessionMenu } from './session/session-menu.js'
import { useSessionControls } from './session/use-session-controls.js'
import { useSummonView } from './session/use-summon-view.js'
import { ShareDialog } from './share-dialog.js'
import { TempBanner } from './temp-banner.js'
import { useBoardSession } from './use-board-session.js'
import { KnockCards, WaitingList } from './lobby/knock-cards.js'
import { LobbyScreen } from './lobby/lobby-screen.js'
import { NotesMenu } from './notes/notes-menu.js'
import { describeElement, framesOf, useWorkshop } from './session/use-workshop.js'
import { VoteBar } from './votes/vote-bar.js'
import { VoteMenu } from './votes/vote-menu.js'
import type { SessionTarget } from './session/person-actions.js'
import type { TimerCommand } from '../../../sdk/index.js'

let canvasModule: Promise<typeof import('./canvas/board-canvas.js')> | null = null
/** Starts loading the drawing engine (once). */
export function prefetchCanvas(): Promise<typeof import('./canvas/board-canvas.js')> {
  canvasModule ??= import('./canvas/board-canvas.js')
  return canvasModule
}
const BoardCanvas = lazy(() => prefetchCanvas().then((m) => ({ default: m.BoardCanvas })))

type Panel = 'people' | 'comments' | 'history' | null

export function BoardPage({ boardId }: { boardId: string }) {
  void prefetchCanvas()
  const s = useBoardSession(boardId)
  const [panel, setPanel] = useState<Panel>(null)
  const [sharing, setSharing] = useState(false)
  const [openThread, setOpenThread] = useState<string | null>(null)
  const [draftAnchor, setDraftAnchor] = useState<Anchor | null>(null)
  const [showResolved, setShowResolved] = useState(false)
  const [following, setFollowing] = useState<string | null>(null)
  const [claiming, setClaiming] = useState(false)
  const [commenting, setCommenting] = useState(false)
  const [markupMode, setMarkupMode] = useState(false)
  const [, setUndoTick] = useState(0)
  const [previewId, setPreviewId] = useState<string | null>(null)
  const [revertee, setRevertee] = useState<RevertTarget | null>(null)
  const canvas = useRef<CanvasHandle | null>(null)
  const history = useHistory(s.api, boardId, s.doc, panel === 'history', s.historyTick)
  const controls = useSessionControls(s.api, boardId, s.events, s.connection)
  const summonView = useSummonView(controls.summon, s.me, s.role, () => setFollowing(null))

  const undo = useMemo(() => {
    if (!s.doc) return null
    // Only this person's own edits are undone, never someone else's.
    return new Y.UndoManager([s.doc.getMap('shapes'), s.doc.getMap('markup')], { trackedOrigins: new Set([LOCAL]), captureTimeout: 500 })
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
    editorsMayRestore: s.board ? editorsMayRestoreOf(s.board) : false,
    guestTools: s.board?.guestTools ?? null,
    guestComments: s.board?.guestComments ?? true,
    lockedFrames: s.board?.lockedFrames ?? [],
  })
  const workshop = useWorkshop(s, boardId, abilities)
  const rights: Rights = useMemo(
    () => ({
      scope: abilities.content ? 'anywhere' : abilities.markup ? 'own_markup' : 'none',
      guest: s.guest,
      markupMode: abilities.content && markupMode,
      me: s.me,
      allowedTypes: abilities.allowedTypes,
      lockedFrames: abilities.lockedFrames,
    }),
    [abilities.content, abilities.markup, s.guest, markupMode, s.me, abilities.allowedTypes?.join(), abilities.lockedFrames.join()],
  )

  // For tests and debugging only (opt-in): the server enforces every rule anyway.
  useEffect(() => {
    if (s.doc && localStorage.getItem('drawbridge.debug')) Object.assign(window, { __drawbridge: { ...(window as { __drawbridge?: object }).__drawbridge, doc: s.doc, connection: s.connection } })
  }, [s.doc])

  const startComment = (anchor: Anchor | null) => {
    setDraftAnchor(anchor ?? canvas.current?.viewCenter() ?? { x: 0, y: 0 })
    setOpenThread(null)
    setPanel('comments')
  }
  const toggleCommenting = (on: boolean) => {
    setCommenting(on)
    // The box opens (focused) at once, at the centre of the view; a click on the board moves the pin.
    if (on) startComment(null)
    else setDraftAnchor(null)
  }

  // C toggles the comment tool, unless someone is typing.
  useEffect(() => {
    if (!abilities.comment) return
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null
      if (e.key.toLowerCase() !== 'c' || e.ctrlKey || e.metaKey || e.altKey || sharing) return
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return
      e.preventDefault()
      e.stopImmediatePropagation()
      toggleCommenting(!commenting)
    }
    window.addEventListener('keydown', onKey, true)
    return () => window.removeEventListener('keydown', onKey, true)
  }, [abilities.comment, commenting, sharing])

  if (s.fatal) return <FatalScreen fatal={s.fatal} boardId={boardId} guest={s.guest} onRejoin={s.rejoin} />
  if (s.lobby) return <LobbyScreen api={s.api} boardId={boardId} token={s.token} guestId={session.guest(boardId)?.guest.id ?? null} initial={s.lobby} onAdmitted={s.admitted} />
  if (!s.board || !s.doc || !undo) return <Loading what="Opening the board…" />
  const board = s.board

  /** Runs an action; a failure is said in a toast and still rejects, so the form that asked keeps what was typed. */
  const toastingErrors = async (action: () => Promise<void>): Promise<void> => {
    try {
      await action()
    } catch (e) {
      s.toast(errorText(e), 'error')
      throw e
    }
  }
  /** The same for actions nobody waits on: the toast is the whole answer. */
  const toasted = (action: () => Promise<void>): Promise<void> => toastingErrors(action).catch(() => {})

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

  // Running the session: the timer, "bring everyone to me", taking people out.
  const facilitate = {
    summon: controls.summon,
    summonIsMine: summonView.mine,
    setTimer: (command: TimerCommand) => toastingErrors(async () => controls.takeTimer(await s.api.setTimer(board.id, command))),
    bringEveryone: (hold: boolean) =>
      toastingErrors(async () => {
        const v = canvas.current?.visibleScene()
        if (!v) throw new Error('The canvas is not ready yet.')
        controls.takeSummon(await s.api.summon(board.id, { x: v.x, y: v.y, width: v.w, height: v.h }, hold))
        s.toast(hold ? 'Everyone was brought to your view; readers stay with you until you release them.' : 'Everyone was brought to your view.')
      }),
    release: () =>
      toastingErrors(async () => {
        await s.api.releaseSummon(board.id)
        controls.takeSummon(null)
      }),
  }
  const personActions = {
    kick: (p: SessionTarget) =>
      toastingErrors(async () => {
        await s.api.kick(board.id, p.kind, p.id)
        s.toast(`${p.name} was taken out of the session; they can rejoin.`)
      }),
    ban: (p: SessionTarget) =>
      toastingErrors(async () => {
        await s.api.ban(board.id, p.kind, p.id)
        s.toast(`${p.name} was banned from this board.`)
        s.refreshParticipants()
      }),
  }
  const summon = summonView.active

  const members = abilities.mention ? s.participants.filter((p) => p.kind === 'user' && p.id !== s.me?.id) : []
  const online = new Set(s.presence.map((p) => p.user.id)).size + 1
  const readOnly = !abilities.content && !abilities.markup
  return (
    <div className="board-page">
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
        onHistory={abilities.historyView ? () => setPanel(panel === 'history' ? null : 'history') : undefined}
        historyOpen={panel === 'history'}
        onShare={() => setSharing(true)}
        session={
          <SessionMenu
            timer={controls.timer}
            facilitate={abilities.facilitate ? facilitate : undefined}
            extra={
              <>
                <hr />
                <VoteMenu votes={workshop.votes} onStart={workshop.startVote} onEnd={workshop.endVote} />
                <hr />
                <NotesMenu on={board.privateNotes} hidden={workshop.notes.others + (workshop.notes.notes?.length ?? 0)} setMode={workshop.setPrivateMode} reveal={workshop.reveal} />
              </>
            }
          />
        }
        onRename={
          abilities.rename && !s.guest
            ? (title) => toastingErrors(async () => s.setBoard(await s.api.updateBoard(board.id, { title })))
            : undefined
        }
      />
      <TempBanner
        board={board}
        guest={s.guest}
        canClaim={abilities.claim && !s.guest}
        onClaim={() => void claim()}
        claiming={claiming}
        onDownload={() => void downloadCopy()}
        guestToken={s.guest ? s.token : null}
      />
      {abilities.blockedBy ? (
        <div className="banner banner-info" role="note" data-testid="locked-banner">
          {refusalMessages[abilities.blockedBy]}
          {s.flags.locked && abilities.comment ? ' You can still comment.' : ''}
        </div>
      ) : null}
      <VoteBar votes={workshop.votes} canVote={abilities.vote} onEnd={abilities.facilitate ? workshop.endVote : undefined} describe={(id) => describeElement(s.doc, id)} />
      {workshop.privateOn ? (
        <div className="banner banner-info" role="note" data-testid="private-banner">
          Private mode: what you add now is on your screen only, until it is revealed.
          {workshop.notes.others ? ` ${workshop.notes.others} ${workshop.notes.others === 1 ? 'note' : 'notes'} from others, hidden until reveal.` : ''}
        </div>
      ) : null}
      <SessionBanners view={summonView} summon={controls.summon} capacity={controls.capacity} onRelease={abilities.facilitate ? () => void facilitate.release().catch(() => {}) : undefined} onRejoin={s.rejoin} />
      {readOnly && !s.flags.locked && !s.flags.archived && !controls.capacity ? (
        <div className="banner banner-info" role="note" data-testid="view-only-banner">
          You can view this board: pan, zoom and follow others{abilities.comment ? ', and comment' : ''}.
        </div>
      ) : null}
      <div className="board-body">
        <Suspense fallback={<Loading what="Loading the canvas…" />}>
          <BoardCanvas
            doc={s.doc}
            boardId={board.id}
            title={board.title}
            token={s.token}
            rights={rights}
            undo={undo}
            connection={s.connection}
            presence={s.presence}
            following={following}
            onFollow={setFollowing}
            canComment={abilities.comment}
            commenting={commenting}
            setCommenting={toggleCommenting}
            canMarkup={abilities.content}
            setMarkupMode={setMarkupMode}
            threads={s.threads}
            showResolved={showResolved}
            draftAnchor={commenting ? draftAnchor : null}
            onOpenThread={(id) => {
              setOpenThread(id)
              setDraftAnchor(null)
              setCommenting(false)
              setPanel('comments')
            }}
            onCommentAt={startComment}
            onError={(m) => s.toast(m, 'error')}
            handle={canvas}
            attribution={panel === 'history' ? history.attribution : null}
            summon={summon ? { at: summon.at, viewport: { x: summon.viewport.x, y: summon.viewport.y, w: summon.viewport.width, h: summon.viewport.height }, presenterId: summon.by.id, held: summonView.held } : null}
            onBreakAway={summonView.breakAway}
            privateNotes={{ on: workshop.privateOn, api: s.api, notes: workshop.notes.notes, onSaved: workshop.notes.refresh }}
            votes={{ votes: workshop.votes, canVote: abilities.vote, onBallot: workshop.ballot }}
          />
        </Suspense>
        {/* While following, Excalidraw shows who (its follow badge, with a way to stop). */}
        {panel === 'people' ? (
          <ParticipantsPanel
            participants={s.participants}
            presence={s.presence}
            meId={s.me?.id ?? null}
            following={following}
            onFollow={setFollowing}
            onRevert={abilities.historyRestore ? setRevertee : undefined}
            session={abilities.kick ? personActions : undefined}
            waiting={abilities.manageParticipants ? <WaitingList lobby={workshop.lobby} onError={(e) => s.toast(errorText(e), 'error')} /> : undefined}
            onClose={() => setPanel(null)}
          />
        ) : null}
        <HistoryViews
          s={s}
          board={board}
          abilities={abilities}
          history={history}
          open={panel === 'history'}
          onClose={() => setPanel(null)}
          previewId={previewId}
          setPreviewId={setPreviewId}
          revertee={revertee}
          setRevertee={setRevertee}
        />
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
            onCreate={(anchor, body) =>
              toastingErrors(async () => {
                const t = await s.api.createComment(board.id, anchor, body)
                s.setThreads((ts) => (ts.some((x) => x.id === t.id) ? ts : [...ts, t]))
                setDraftAnchor(null)
                setOpenThread(t.id)
                setCommenting(false)
              })
            }
            onReply={(threadId, body) =>
              toastingErrors(async () => {
                const r = await s.api.reply(board.id, threadId, body)
                s.setThreads((ts) => ts.map((t) => (t.id === threadId && !t.replies.some((x) => x.id === r.id) ? { ...t, replies: [...t.replies, r] } : t)))
              })
            }
            onResolve={(threadId, resolved) =>
              toasted(async () => {
                const t = await s.api.updateThread(board.id, threadId, { resolved })
                s.setThreads((ts) => ts.map((x) => (x.id === t.id ? t : x)))
              })
            }
            onDelete={(threadId) =>
              toasted(async () => {
                await s.api.deleteThread(board.id, threadId)
                s.setThreads((ts) => ts.filter((x) => x.id !== threadId))
                setOpenThread(null)
              })
            }
            onCancelDraft={() => {
              setDraftAnchor(null)
              setCommenting(false)
            }}
            onClose={() => {
              setPanel(null)
              setDraftAnchor(null)
              setCommenting(false)
            }}
          />
        ) : null}
        {abilities.manageParticipants ? <KnockCards lobby={workshop.lobby} onError={(e) => s.toast(errorText(e), 'error')} /> : null}
      </div>
      {sharing && s.role ? (
        <ShareDialog
          api={s.api}
          board={board}
          myRole={s.role}
          meId={s.me?.id ?? session.user()?.user.id ?? null}
          abilities={abilities}
          participants={s.participants}
          frames={framesOf(s.doc)}
          onBoard={s.setBoard}
          onParticipantsChanged={s.refreshParticipants}
          onClose={() => setSharing(false)}
        />
      ) : null}
      <Toasts toasts={s.toasts} dismiss={s.dismiss} />
    </div>
  )
}
