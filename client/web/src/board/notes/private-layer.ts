// Private notes on the canvas: while private mode is on, what this person
// draws stays out of the board document. The binding hands each new element
// to this layer, which keeps it in our scene only and saves it on the server
// for us alone (POST, then PATCH / DELETE as it changes, one request at a
// time per note). Notes already saved are put back into the scene when the
// board opens; after a reveal they come back through the document as board
// elements (the binding then forgets them here), and any left are dropped.
import { CaptureUpdateAction, restoreElements } from '@excalidraw/excalidraw'
import type { ExcalidrawElement } from '@excalidraw/excalidraw/element/types'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import type { PrivateNote } from '../../../../../shared/session.js'
import type { ApiClient } from '../../../../sdk/index.js'
import type { LocalLayer } from '../canvas/binding.js'
import { storedFields } from '../canvas/element-codec.js'
import type { Author } from '../doc-model.js'

interface Tracked {
  version: number
  /** The server's id once the note is saved. */
  noteId: string | null
  /** Requests for this note, in order. */
  chain: Promise<void>
  timer: number
}

/** Changes (typing, dragging) are saved at most this often. */
const SAVE_DELAY = 400

export interface PrivateLayerOptions {
  api: ApiClient
  boardId: string
  /** Private mode is on and we may write notes. */
  active: () => boolean
  me: () => Author | null
  onError: (message: string) => void
  /** A note was saved, changed or deleted on the server. */
  onSaved: () => void
}

export class PrivateLayer implements LocalLayer {
  private readonly tracked = new Map<string, Tracked>()

  constructor(
    private readonly excalidraw: ExcalidrawImperativeAPI,
    private readonly o: PrivateLayerOptions,
  ) {}

  has(id: string): boolean {
    return this.tracked.has(id)
  }

  /** The element ids shown to us alone (for the outline overlay). */
  ids(): string[] {
    return [...this.tracked.keys()]
  }

  claims(el: ExcalidrawElement, isNew: boolean): boolean {
    const t = this.tracked.get(el.id)
    if (!t) {
      if (!isNew || !this.o.active()) return false
      const entry: Tracked = { version: el.version, noteId: null, chain: Promise.resolve(), timer: 0 }
      this.tracked.set(el.id, entry)
      this.enqueue(entry, async () => {
        const note = await this.o.api.addPrivateNote(this.o.boardId, this.fields(el))
        entry.noteId = note.id
      })
      return true
    }
    if (el.version === t.version) return true
    t.version = el.version
    clearTimeout(t.timer)
    if (el.isDeleted) {
      this.tracked.delete(el.id)
      this.enqueue(t, async () => {
        if (t.noteId) await this.o.api.deletePrivateNote(this.o.boardId, t.noteId)
      })
      return true
    }
    t.timer = window.setTimeout(() => {
      // The latest state of the element, whatever changed meanwhile.
      const now = this.excalidraw.getSceneElements().find((e) => e.id === el.id)
      if (!now || !this.tracked.has(el.id)) return
      this.enqueue(t, async () => {
        if (t.noteId) await this.o.api.updatePrivateNote(this.o.boardId, t.noteId, this.fields(now))
      })
    }, SAVE_DELAY)
    return true
  }

  forget(id: string): void {
    const t = this.tracked.get(id)
    if (!t) return
    clearTimeout(t.timer)
    this.tracked.delete(id)
  }

  /**
   * The server's list of our notes: ones not in the scene come in (the board
   * opened), ours that the server no longer keeps (revealed, or gone) leave.
   */
  reconcile(notes: PrivateNote[]): void {
    const scene = this.excalidraw.getSceneElementsIncludingDeleted()
    const present = new Set(scene.filter((e) => !e.isDeleted).map((e) => e.id))
    const byNote = new Set(notes.map((n) => n.id))
    const drop = new Set<string>()
    for (const [id, t] of this.tracked) {
      if (t.noteId && !byNote.has(t.noteId)) {
        clearTimeout(t.timer)
        this.tracked.delete(id)
        drop.add(id)
      }
    }
    const raw: ExcalidrawElement[] = []
    for (const n of notes) {
      const id = typeof n.element.id === 'string' ? n.element.id : null
      if (!id || this.tracked.has(id) || present.has(id)) {
        const t = id ? this.tracked.get(id) : undefined
        if (t && !t.noteId) t.noteId = n.id
        continue
      }
      const { author: _author, ...rest } = n.element
      raw.push({ ...rest, id, isDeleted: false, version: 1, versionNonce: 1 } as unknown as ExcalidrawElement)
      this.tracked.set(id, { version: -1, noteId: n.id, chain: Promise.resolve(), timer: 0 })
    }
    if (!raw.length && !drop.size) return
    const added = raw.length ? (restoreElements(raw, null, { refreshDimensions: false, repairBindings: true }) as ExcalidrawElement[]) : []
    // Whatever the document holds under a dropped id (the revealed note) stays.
    const kept = scene.filter((e) => !e.isDeleted && !(drop.has(e.id) && !this.inDocument(e.id)))
    this.excalidraw.updateScene({ elements: [...kept, ...added], captureUpdate: CaptureUpdateAction.NEVER })
    for (const el of this.excalidraw.getSceneElementsIncludingDeleted()) {
      const t = this.tracked.get(el.id)
      if (t && t.version === -1) t.version = el.version
    }
  }

  /** Set by the canvas: whether the board document has an entry under this id. */
  inDocument: (id: string) => boolean = () => false

  destroy(): void {
    for (const t of this.tracked.values()) clearTimeout(t.timer)
  }

  private fields(el: ExcalidrawElement): Record<string, unknown> {
    return { ...storedFields(el, this.o.me()), id: el.id }
  }

  private enqueue(t: Tracked, request: () => Promise<void>): void {
    t.chain = t.chain.then(request).then(
      () => this.o.onSaved(),
      (e: unknown) => this.o.onError(e instanceof Error ? e.message : 'Could not save your private note.'),
    )
  }
}
