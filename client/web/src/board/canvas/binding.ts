// The binding between Excalidraw's scene and our Yjs document. Every element
// is one Y.Map under its id in `shapes` (owners, editors) or `markup`
// (reviewers, and editors in review mode). Local changes are found by
// Excalidraw's element versions and written key by key (only what changed),
// once per animation frame; remote changes reach the scene through
// updateScene and are never written back. The scene is ordered by each
// root's fractional `index`, all markup above all shapes; Excalidraw may
// renumber indices to keep its array valid, so the document index of an
// element is kept apart from the scene's and rewritten only when the element
// really moved among its own root's neighbours.
import { CaptureUpdateAction } from '@excalidraw/excalidraw'
import type { ExcalidrawElement } from '@excalidraw/excalidraw/element/types'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import { generateKeyBetween } from 'fractional-indexing'
import * as Y from 'yjs'
import { type Author, LOCAL } from '../doc-model.js'
import { changedKeys, GUEST_FORBIDDEN_ELEMENTS, isElementEntry, readAuthor, type Root, type Stored, storedFields, toElements, writeEntry } from './element-codec.js'
import { convertLegacy, isLegacyEntry, legacyArrowIndex } from './legacy.js'

export interface Rights {
  scope: 'none' | 'own_markup' | 'anywhere'
  guest: boolean
  /** Editors adding review markup: new elements go to `markup`. */
  markupMode: boolean
  me: Author | null
  /** Guests under the host's limits: the only types they may create (null: any they may otherwise). */
  allowedTypes?: readonly string[] | null
  /** Guests: frames they may not change, nor anything in them. */
  lockedFrames?: readonly string[]
}

/**
 * Elements kept out of the document (private notes): the layer says which
 * ones it takes, then saves them elsewhere; the binding never writes them.
 */
export interface LocalLayer {
  has(id: string): boolean
  /** Takes a local change of an element: true when it is the layer's (never written to the document). */
  claims(el: ExcalidrawElement, isNew: boolean): boolean
  /** The element arrived through the document (a reveal): no longer the layer's. */
  forget(id: string): void
}

interface Known {
  root: Root
  /** Excalidraw's version of the element when we last looked. */
  version: number
  sceneIndex: string | null
  /** The element as stored (in its normalised form), with the document index and author. */
  stored: Stored
  author: Author | null
  /** Set while the entry is still in the old schema: its entry id (the label shares it). */
  legacy: string | null
}

type Entry = { id: string; root: Root; json: Stored; legacy: string | null }

const ROOTS: Root[] = ['shapes', 'markup']

/** Why something was undone locally, for the hint. */
export type Blocked = 'not-yours' | 'guest-type' | 'guest-tool' | 'locked-frame' | 'svg'

export function mayWrite(rights: Rights, root: Root, author: Author | null): boolean {
  if (rights.scope === 'anywhere') return true
  if (rights.scope === 'none' || root !== 'markup' || !rights.me || !author) return false
  return author.id === rights.me.id && author.kind === rights.me.kind
}

/** A guest may not change a locked frame nor anything in it (the guard refuses `locked_frame`). */
export function inLockedFrame(rights: Rights, el: { id: string; frameId?: unknown }): boolean {
  const frames = rights.lockedFrames
  if (!frames?.length) return false
  return frames.includes(el.id) || (typeof el.frameId === 'string' && frames.includes(el.frameId))
}

function between(a: string | undefined, b: string | undefined): string {
  for (const [lo, hi] of [
    [a, b],
    [a, undefined],
    [undefined, undefined],
  ] as const) {
    try {
      return generateKeyBetween(lo ?? null, hi ?? null)
    } catch {
      // Someone stored an index that is not a valid key; fall back to the end.
    }
  }
  return 'a0'
}

export class SceneBinding {
  private readonly known = new Map<string, Known>()
  private readonly pending = new Set<string>()
  private frame = 0
  private readonly unobserve: (() => void)[] = []
  /** Image elements written by us; the canvas uploads their files. */
  onImageAdded: (el: ExcalidrawElement) => void = () => {}
  onBlocked: (why: Blocked) => void = () => {}
  /** After each local write; `step` when it ends a step of its own (not mid-gesture, not mid-typing). */
  onWritten: (step: boolean) => void = () => {}
  /** Private notes: elements that never go into the document. */
  local: LocalLayer | null = null

  constructor(
    private readonly doc: Y.Doc,
    private readonly api: ExcalidrawImperativeAPI,
    private readonly rights: () => Rights,
  ) {
    for (const root of ROOTS) {
      const map = this.rootMap(root)
      const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[], tx: Y.Transaction) => {
        // Our own edits are in the scene already; undo/redo and remote ones are not.
        if (tx.origin === LOCAL) return
        for (const e of events) {
          if (e.target === map) for (const key of (e as Y.YMapEvent<unknown>).keysChanged) this.pending.add(`${root}\n${key}`)
          else if (typeof e.path[0] === 'string') this.pending.add(`${root}\n${e.path[0]}`)
        }
        this.schedule()
      }
      map.observeDeep(observer)
      this.unobserve.push(() => map.unobserveDeep(observer))
    }
  }

  private rootMap(root: Root): Y.Map<unknown> {
    return this.doc.getMap<unknown>(root)
  }

  /** Everything in the document → the scene (at start, and when rights change). */
  loadAll(): void {
    this.known.clear()
    const entries: Entry[] = []
    for (const root of ROOTS) for (const id of this.rootMap(root).keys()) entries.push(...this.read(root, id))
    this.replaceScene(entries, new Set(), true)
  }

  /** Elements that only Excalidraw has changed since we last looked are written now. */
  schedule(): void {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.sync()
    })
  }

  /** Writes local changes, then applies remote ones. */
  sync(): void {
    this.flush()
    if (this.pending.size === 0) return
    const entries: Entry[] = []
    const removed = new Set<string>()
    for (const key of this.pending) {
      const [root, id] = key.split('\n') as [Root, string]
      const read = this.read(root, id)
      if (read.length === 0) {
        removed.add(id)
        for (const [other, k] of this.known) if (k.legacy === id && other !== id) removed.add(other)
      }
      entries.push(...read)
    }
    this.pending.clear()
    this.replaceScene(entries, removed, false)
  }

  /** One entry of the document as scene entries (a legacy shape with a label is two). */
  private read(root: Root, id: string): Entry[] {
    const map = this.rootMap(root)
    const value = map.get(id)
    if (!(value instanceof Y.Map)) return []
    if (isLegacyEntry(value)) {
      const arrows = legacyArrowIndex(this.rootMap('shapes'))
      return convertLegacy(id, root, value, (shape) => arrows.get(shape) ?? [])
        .filter((e) => e.id === id || !(map.get(e.id) instanceof Y.Map))
        .map((e) => ({ ...e, root, legacy: id }))
    }
    const json = value.toJSON() as Stored
    return isElementEntry(json) ? [{ id, root, json, legacy: null }] : []
  }

  private replaceScene(entries: Entry[], removed: Set<string>, all: boolean): void {
    const current = new Map<string, ExcalidrawElement>()
    // Reloading everything keeps what only this person sees (private notes).
    for (const el of this.api.getSceneElementsIncludingDeleted()) if (!el.isDeleted && (!all || this.local?.has(el.id))) current.set(el.id, el)
    for (const id of removed) {
      current.delete(id)
      this.known.delete(id)
    }
    const rights = this.rights()
    const byId = new Map(entries.map((e) => [e.id, e]))
    for (const el of toElements(entries, (id) => current.get(id)?.version ?? 0)) {
      const entry = byId.get(el.id)!
      const author = readAuthor(entry.json.author)
      const stored = storedFields(el, author)
      stored.index = typeof entry.json.index === 'string' ? entry.json.index : 'a0'
      this.local?.forget(el.id)
      // Someone else's work is locked for reviewers, and locked frames for guests, here only: never written back.
      const lock = (!mayWrite(rights, entry.root, author) && rights.scope === 'own_markup') || inLockedFrame(rights, el)
      const scene = lock ? ({ ...el, locked: true } as ExcalidrawElement) : el
      current.set(el.id, scene)
      this.known.set(el.id, { root: entry.root, version: -1, sceneIndex: null, stored, author, legacy: entry.legacy })
    }
    this.api.updateScene({ elements: this.ordered([...current.values()]), captureUpdate: CaptureUpdateAction.NEVER })
    this.rebaseline()
  }

  /** Scene order: shapes by their document index, then markup by theirs. */
  private ordered(elements: ExcalidrawElement[]): ExcalidrawElement[] {
    const key = (el: ExcalidrawElement) => {
      const k = this.known.get(el.id)
      return { rank: k?.root === 'markup' ? 1 : 0, index: (k?.stored.index as string | undefined) ?? el.index ?? '' }
    }
    const keys = new Map(elements.map((el) => [el.id, key(el)]))
    return elements.sort((a, b) => {
      const ka = keys.get(a.id)!
      const kb = keys.get(b.id)!
      return ka.rank - kb.rank || (ka.index < kb.index ? -1 : ka.index > kb.index ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    })
  }

  /** Excalidraw may have renumbered indices while taking the scene; none of that is a local change. */
  private rebaseline(): void {
    for (const el of this.api.getSceneElementsIncludingDeleted()) {
      const k = this.known.get(el.id)
      if (!k) continue
      k.version = el.version
      k.sceneIndex = el.index
    }
  }

  /** Local changes → the document. */
  flush(): void {
    const state = this.api.getAppState()
    const elements = this.api.getSceneElementsIncludingDeleted()
    const rights = this.rights()
    // A stroke or line being drawn is written once, when it is finished.
    const drawing = state.newElement?.id ?? null
    const busy = (el: ExcalidrawElement) => el.id === drawing || (state.cursorButton === 'down' && 'points' in el && el.points.length > 2)
    const created = new Map<string, Root>()
    const changed: ExcalidrawElement[] = []
    const deleted: { id: string; root: Root }[] = []
    const reindex = new Set<string>()
    const undo: string[] = []
    for (const el of elements) {
      const k = this.known.get(el.id)
      if (!k && this.local?.has(el.id)) {
        if (!busy(el)) this.local.claims(el, false)
        continue
      }
      if (!k) {
        if (el.isDeleted || busy(el)) continue
        const refused = this.mayCreate(el, rights)
        if (refused) {
          undo.push(el.id)
          this.onBlocked(refused)
          continue
        }
        if (this.local?.claims(el, true)) continue
        created.set(el.id, rights.scope === 'own_markup' || rights.markupMode ? 'markup' : 'shapes')
        reindex.add(el.id)
        continue
      }
      if (el.version === k.version || busy(el)) continue
      if (inLockedFrame(rights, el) || inLockedFrame(rights, { id: el.id, frameId: k.stored.frameId })) {
        // A guest's change to a locked frame or its contents is put back, never written.
        if (el.isDeleted || !el.locked) {
          undo.push(el.id)
          this.onBlocked('locked-frame')
        }
        k.version = el.version
        k.sceneIndex = el.index
        continue
      }
      if (!mayWrite(rights, k.root, k.author)) {
        // Re-measured text, repaired bindings: local only. Unlocking or deleting someone else's work is put back.
        if (el.isDeleted || (rights.scope === 'own_markup' && !el.locked)) {
          undo.push(el.id)
          this.onBlocked('not-yours')
        }
        k.version = el.version
        k.sceneIndex = el.index
        continue
      }
      // A legacy label has no entry of its own: its container's rewrite drops it.
      if (el.isDeleted) {
        if (!k.legacy || k.legacy === el.id) deleted.push({ id: el.id, root: k.root })
      } else changed.push(el)
      if (!el.isDeleted && el.index !== k.sceneIndex) reindex.add(el.id)
      k.version = el.version
      k.sceneIndex = el.index
      if (el.isDeleted) this.known.delete(el.id)
    }
    if (created.size || changed.length || deleted.length) {
      const indices = this.documentIndices(elements, created, reindex)
      this.doc.transact(() => {
        for (const el of [...changed, ...elements.filter((e) => created.has(e.id))]) this.write(el, created.get(el.id), indices.get(el.id), rights)
        for (const d of deleted) this.rootMap(d.root).delete(d.id)
      }, LOCAL)
      this.onWritten(state.cursorButton === 'up' && !state.editingTextElement)
    }
    if (undo.length) {
      // What is in the document comes back from it; what never was goes.
      const drop = new Set<string>()
      for (const id of undo) {
        const k = this.known.get(id)
        if (k) this.pending.add(`${k.root}\n${k.legacy ?? id}`)
        else drop.add(id)
      }
      if (drop.size) this.api.updateScene({ elements: elements.filter((e) => !drop.has(e.id)), captureUpdate: CaptureUpdateAction.NEVER })
      this.schedule()
    }
    if (created.size && !state.newElement) this.restoreOrder()
  }

  private mayCreate(el: ExcalidrawElement, rights: Rights): Blocked | null {
    if (rights.scope === 'none') return 'not-yours'
    if (rights.guest && GUEST_FORBIDDEN_ELEMENTS.has(el.type)) return 'guest-type'
    if (rights.allowedTypes && !rights.allowedTypes.includes(el.type)) return 'guest-tool'
    if (inLockedFrame(rights, el)) return 'locked-frame'
    if (el.type === 'image') {
      const file = el.fileId ? this.api.getFiles()[el.fileId] : undefined
      if (file && !/^image\/(png|jpeg|gif|webp)$/.test(file.mimeType)) return 'svg'
    }
    return null
  }

  private write(el: ExcalidrawElement, createdIn: Root | undefined, index: string | undefined, rights: Rights): void {
    const k = this.known.get(el.id)
    const root = createdIn ?? k!.root
    const author = createdIn ? rights.me : (k?.author ?? null)
    const next = storedFields(el, author)
    next.index = index ?? (k?.stored.index as string | undefined) ?? el.index ?? 'a0'
    if (k?.legacy) {
      // The first edit of an old-schema entry rewrites the whole entry (and its label) in the new schema.
      this.convertLegacyGroup(k.legacy, rights)
    } else {
      writeEntry(this.rootMap(root), el.id, next, k ? changedKeys(k.stored, next) : 'all')
    }
    this.known.set(el.id, { root, version: el.version, sceneIndex: el.index, stored: next, author, legacy: null })
    // Excalidraw adds an image element first and its file id a moment later.
    if (el.type === 'image' && el.fileId && (createdIn || k?.stored.fileId !== el.fileId)) this.onImageAdded(el)
  }

  private convertLegacyGroup(group: string, rights: Rights): void {
    for (const el of this.api.getSceneElements()) {
      const k = this.known.get(el.id)
      if (!k || k.legacy !== group || !mayWrite(rights, k.root, k.author)) continue
      const next = storedFields(el, k.author)
      next.index = (k.stored.index as string | undefined) ?? 'a0'
      writeEntry(this.rootMap(k.root), el.id, next, 'all')
      this.known.set(el.id, { ...k, stored: next, legacy: null })
    }
  }

  /** Document indices for new and moved elements, from their neighbours of the same root in scene order. */
  private documentIndices(elements: readonly ExcalidrawElement[], created: Map<string, Root>, reindex: Set<string>): Map<string, string> {
    const out = new Map<string, string>()
    if (reindex.size === 0) return out
    const live = elements.filter((e) => !e.isDeleted && (created.has(e.id) || this.known.has(e.id)))
    const rootOf = (id: string) => created.get(id) ?? this.known.get(id)!.root
    const indexOf = (id: string) => out.get(id) ?? (created.has(id) ? undefined : (this.known.get(id)!.stored.index as string | undefined))
    live.forEach((el, i) => {
      if (!reindex.has(el.id)) return
      const root = rootOf(el.id)
      let prev: string | undefined
      for (let j = i - 1; j >= 0 && prev === undefined; j--) if (rootOf(live[j]!.id) === root) prev = indexOf(live[j]!.id)
      let next: string | undefined
      for (let j = i + 1; j < live.length && next === undefined; j++) {
        const other = live[j]!.id
        if (rootOf(other) === root && !(reindex.has(other) && !out.has(other))) next = indexOf(other)
      }
      const current = indexOf(el.id)
      const fits = current !== undefined && (prev === undefined || prev < current) && (next === undefined || current < next)
      if (!fits) out.set(el.id, between(prev, next))
    })
    return out
  }

  /** New shapes are drawn at the top of Excalidraw's scene; markup stays above all shapes. */
  private restoreOrder(): void {
    const elements = this.api.getSceneElementsIncludingDeleted().filter((e) => !e.isDeleted)
    const sorted = this.ordered([...elements])
    if (sorted.every((el, i) => el === elements[i])) return
    this.api.updateScene({ elements: sorted, captureUpdate: CaptureUpdateAction.NEVER })
    this.rebaseline()
  }

  /** Deletes the image elements showing a file (one the server would not take), here and in the document. */
  removeImages(fileId: string): void {
    const elements = this.api.getSceneElementsIncludingDeleted()
    const gone = elements.filter((e) => e.type === 'image' && e.fileId === fileId && !e.isDeleted)
    if (!gone.length) return
    this.doc.transact(() => {
      for (const el of gone) {
        const k = this.known.get(el.id)
        if (k && mayWrite(this.rights(), k.root, k.author)) this.rootMap(k.root).delete(el.id)
        this.known.delete(el.id)
      }
    }, LOCAL)
    this.api.updateScene({ elements: elements.filter((e) => !gone.includes(e)), captureUpdate: CaptureUpdateAction.NEVER })
  }

  /** Whether this person may change the element (for hints before they try). */
  writable(id: string): boolean {
    const k = this.known.get(id)
    return !k || mayWrite(this.rights(), k.root, k.author)
  }

  authorOf(id: string): Author | null {
    return this.known.get(id)?.author ?? null
  }

  destroy(): void {
    cancelAnimationFrame(this.frame)
    for (const f of this.unobserve.splice(0)) f()
  }
}
