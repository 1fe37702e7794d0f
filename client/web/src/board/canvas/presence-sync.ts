// Presence on the canvas: our pointer, selection and visible area go out in
// the awareness state; other people come back as Excalidraw collaborators,
// named with the identity the server stamped (guests with a GUEST mark on the
// cursor label). Following someone fits their visible area into ours on
// every change, with Excalidraw's follow indicator, until we move ourselves.
import { CaptureUpdateAction, getVisibleSceneBounds, zoomToFitBounds } from '@excalidraw/excalidraw'
import type { AppState, Collaborator, ExcalidrawImperativeAPI, SocketId } from '@excalidraw/excalidraw/types'
import type { BoardConnection, PresenceState } from '../../../../sdk/index.js'

export interface Viewport {
  x: number
  y: number
  w: number
  h: number
}

export const cursorLabel = (p: PresenceState) => `${p.user.name}${p.user.guest ? ' · GUEST' : ''}`

function isViewport(v: unknown): v is Viewport {
  const r = v as Viewport | null
  return !!r && [r.x, r.y, r.w, r.h].every((n) => typeof n === 'number' && Number.isFinite(n)) && r.w > 0 && r.h > 0
}

function isPoint(v: unknown): v is { x: number; y: number } {
  const p = v as { x: number; y: number } | null
  return !!p && Number.isFinite(p.x) && Number.isFinite(p.y)
}

export function collaborators(presence: PresenceState[]): Map<SocketId, Collaborator> {
  const out = new Map<SocketId, Collaborator>()
  for (const p of presence) {
    const socketId = String(p.clientId) as SocketId
    const selection = Array.isArray(p.selection) ? (p.selection as unknown[]).filter((s): s is string => typeof s === 'string').slice(0, 500) : []
    out.set(socketId, {
      id: p.user.id,
      socketId,
      username: cursorLabel(p),
      color: { background: p.user.color, stroke: p.user.color },
      pointer: isPoint(p.cursor) ? { x: p.cursor.x, y: p.cursor.y, tool: 'pointer' } : undefined,
      button: p.button === 'down' ? 'down' : 'up',
      selectedElementIds: Object.fromEntries(selection.map((id) => [id, true])),
    })
  }
  return out
}

/** Publishes our pointer, selection and visible area, each at a bounded rate. */
export class PresencePublisher {
  private lastCursor = 0
  private selection = ''
  private viewportTimer = 0
  private latestView: AppState | null = null

  constructor(private readonly connection: () => BoardConnection | null) {}

  pointer(pointer: { x: number; y: number }, button: 'up' | 'down'): void {
    const now = performance.now()
    if (now - this.lastCursor < 40) return
    this.lastCursor = now
    this.connection()?.setPresence({ cursor: { x: Math.round(pointer.x), y: Math.round(pointer.y) }, button })
  }

  selected(ids: Readonly<Record<string, true | boolean>>): void {
    const list = Object.keys(ids).filter((id) => ids[id])
    const key = list.join()
    if (key === this.selection) return
    this.selection = key
    this.connection()?.setPresence({ selection: list })
  }

  /** The scene rectangle we see, for those who follow us: the latest one, at most every 80 ms. */
  viewport(state: AppState): void {
    this.latestView = state
    if (this.viewportTimer) return
    this.viewportTimer = window.setTimeout(() => {
      this.viewportTimer = 0
      if (this.latestView) this.connection()?.setPresence({ viewport: visibleScene(this.latestView) })
    }, 80)
  }

  stop(): void {
    clearTimeout(this.viewportTimer)
  }
}

/** A view we set ourselves (follow, summon), to tell our own moves from it. */
export interface SetView {
  scrollX: number
  scrollY: number
  zoom: number
}

/** Whether the view moved away from one we set (more than rounding). */
export function movedFrom(set: SetView, scrollX: number, scrollY: number, zoom: number): boolean {
  return Math.abs(set.scrollX - scrollX) > 1 || Math.abs(set.scrollY - scrollY) > 1 || Math.abs(set.zoom - zoom) > 0.001
}

/** Fits a scene rectangle into our view; `follow` also shows Excalidraw's follow badge for that person. */
export function fitView(api: ExcalidrawImperativeAPI, v: Viewport, follow?: PresenceState): SetView {
  const state = api.getAppState()
  const { appState } = zoomToFitBounds({ bounds: [v.x, v.y, v.x + v.w, v.y + v.h], appState: state, fitToViewport: true, viewportZoomFactor: 1 })
  const view = { scrollX: appState.scrollX, scrollY: appState.scrollY, zoom: appState.zoom }
  if (follow) {
    const userToFollow = { socketId: String(follow.clientId) as SocketId, username: cursorLabel(follow) }
    api.updateScene({ appState: { ...view, userToFollow }, captureUpdate: CaptureUpdateAction.NEVER })
  } else api.updateScene({ appState: view, captureUpdate: CaptureUpdateAction.NEVER })
  return { scrollX: appState.scrollX, scrollY: appState.scrollY, zoom: appState.zoom.value }
}

/** Moves our view onto someone else's; returns what it set, to tell our own moves from it. */
export function followView(api: ExcalidrawImperativeAPI, them: PresenceState): SetView | null {
  if (!isViewport(them.viewport)) return null
  return fitView(api, them.viewport, them)
}

/** Someone's published visible area, if they published one. */
export function viewportOf(p: PresenceState | undefined): Viewport | null {
  return p && isViewport(p.viewport) ? p.viewport : null
}

/** The scene rectangle we see now. */
export function visibleScene(state: AppState): Viewport {
  const [x1, y1, x2, y2] = getVisibleSceneBounds(state)
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 }
}
