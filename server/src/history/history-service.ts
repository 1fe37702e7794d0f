// Board history: versions (automatic, named, restore, revert), a version's
// content, what changed since and by whom, restore in place and "revert a
// person". Every question goes through the policy; every write goes through
// the collaboration hub as the person who asked (guard, limits, log,
// broadcast), so a restore is an edit like any other and can be undone.
import * as Y from 'yjs'
import type { Role } from '../../../shared/capabilities.js'
import { CloseCode, ErrorCode } from '../../../shared/constants.js'
import type {
  Attribution,
  AutoReason,
  Contribution,
  HistoryPerson,
  RestoreResult,
  RevertPlan,
  RevertRequest,
  RevertResult,
  Version,
  VersionDiff,
  VersionDocument,
  VersionList,
} from '../../../shared/history.js'
import { principalSummary, type ResolvedPrincipal } from '../auth/principals.js'
import { ActivityType, recordActivity } from '../boards/activity.js'
import type { BoardWriter } from '../boards/board-writer.js'
import { actorOf, type Deps } from '../boards/deps.js'
import { AppError, badRequest, notFound } from '../errors.js'
import { HistoryStore, type NewVersion, type VersionRow } from './history-store.js'
import { ReplayCache } from './replay-cache.js'
import { buildDoc, contentOf, type EntryChange, entryDelta, replay, replayInSlices, updateTowards, wantedFrom } from './replay.js'
import { attribute, changersByEntry, diffContents, revertTarget, tally } from './timeline.js'

export interface HistoryOptions {
  retentionMs: number
  quietMs: number
}

/** Boards remembered as saved (see HistoryService.settled); the oldest go first. */
const SETTLED_MAX = 10_000
const iso = (ms: number | Date | null) => (ms === null ? null : new Date(ms).toISOString())

export class HistoryService {
  readonly store: HistoryStore
  private readonly replays: ReplayCache
  /** Boards this instance stored updates on, and when the last one was. */
  private readonly active = new Map<string, number>()
  /**
   * Boards whose history this instance found saved (a version reached the
   * log's head) with nothing stored meanwhile. One of them that is not
   * `active` again (nothing stored here since) is still saved: a room whose
   * visitors only looked unloads without a query. What another instance
   * stores there, it saves itself when its room unloads or goes quiet.
   */
  private readonly settled = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private pending: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(
    private readonly d: Deps,
    private readonly writer: BoardWriter,
    private readonly options: HistoryOptions,
  ) {
    this.store = new HistoryStore(d.db)
    this.replays = new ReplayCache(this.store, { maxBoards: 4, idleMs: 120_000 })
  }

  // ---- automatic versions ------------------------------------------------

  start(): void {
    const every = Math.max(25, Math.min(10_000, Math.floor(this.options.quietMs / 4)))
    this.timer = setInterval(() => this.saveQuiet(), every)
    this.timer.unref()
  }

  async close(): Promise<void> {
    // Rooms unloading at shutdown are saved when their board is next used.
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.pending.catch(() => {})
    this.replays.clear()
  }

  /** The hub stored an update on the board (called per update: a map write, nothing more). */
  updated(boardId: string): void {
    this.active.set(boardId, Date.now())
  }

  /** The last person left (the room unloaded): what they did becomes a version. */
  unloaded(boardId: string): void {
    if (!this.active.delete(boardId) && this.settled.has(boardId)) return
    this.background(boardId, 'left')
  }

  private saveQuiet(): void {
    const now = Date.now()
    this.replays.expire(now)
    for (const [boardId, at] of this.active) {
      if (now - at < this.options.quietMs) continue
      this.active.delete(boardId)
      this.background(boardId, 'quiet')
    }
  }

  private background(boardId: string, reason: AutoReason): void {
    if (this.closed) return
    // Settled again only once this save has landed (a failed one leaves the board to the next unload).
    this.settled.delete(boardId)
    const job = this.pending.then(async () => {
      await this.autoVersion(boardId, reason)
      // Nothing was stored on the board while this ran (updated() would have made it active again).
      if (this.active.has(boardId)) return
      this.settled.add(boardId)
      if (this.settled.size > SETTLED_MAX) this.settled.delete(this.settled.values().next().value!)
    })
    this.pending = job.catch((err: unknown) => this.d.logger.warn({ err, boardId }, 'automatic version failed'))
  }

  /** An automatic version of whatever the log holds past the last version; null when nothing is new. */
  async autoVersion(boardId: string, reason: AutoReason): Promise<Version | null> {
    const { seq, covered } = await this.store.headCovered(boardId)
    // Seq 0: nothing was ever stored on the board; an untouched board is no version.
    if (covered || seq === 0) return null
    const row = await this.saveAt(boardId, seq, { kind: 'auto', reason }, reason === 'before_restore' || reason === 'before_revert')
    return row ? this.present([row]).then((v) => v[0]!) : null
  }

  /** `cached`: someone waits for it, so the board's replay is kept for what they ask next. */
  private async saveAt(boardId: string, seq: number, v: NewVersion, cached = true): Promise<VersionRow | null> {
    return this.store.insert(boardId, seq, v, async () => {
      const prev = await this.store.previous(this.d.db, boardId, seq)
      return { contributors: await this.contributions(boardId, prev?.seq ?? 0, seq, cached) }
    })
  }

  /** Who did what between two points of the log. */
  private async contributions(boardId: string, from: number, to: number, cached: boolean): Promise<{ key: string; added: number; changed: number; deleted: number }[]> {
    if (to <= from) return []
    if (cached || this.replays.has(boardId)) {
      const counted = await this.replays.use(boardId, (r) => (r.baseSeq <= from && r.headSeq >= to ? tally(r.changes.filter((c) => c.seq > from && c.seq <= to)) : null))
      if (counted) return [...counted].map(([key, t]) => ({ key, ...t }))
    }
    const { base, rows } = await this.store.log(boardId, to)
    const doc = buildDoc(base, rows.filter((r) => r.seq <= from).map((r) => r.data))
    const changes: EntryChange[] = []
    // Nobody waits on a background version: replay without holding the loop.
    if (cached) replay(doc, rows.filter((r) => r.seq > from), (c) => changes.push(c))
    else await replayInSlices(doc, rows.filter((r) => r.seq > from), (c) => changes.push(c))
    doc.destroy()
    return [...tally(changes)].map(([key, t]) => ({ key, ...t }))
  }

  // ---- reading -------------------------------------------------------------

  private async access(principal: ResolvedPrincipal, boardId: string, action: 'history.view' | 'history.save' | 'history.restore') {
    const access = await this.d.policy.access(this.d.db, principal, boardId)
    this.d.policy.authorize(access, action)
    return access
  }

  private async versionOf(boardId: string, id: string): Promise<VersionRow> {
    const v = await this.store.version(boardId, id)
    if (!v) throw notFound('Version')
    return v
  }

  async list(principal: ResolvedPrincipal, boardId: string): Promise<VersionList> {
    await this.access(principal, boardId, 'history.view')
    const rows = await this.store.versions(boardId)
    return {
      versions: await this.present(rows),
      retentionDays: Math.round((this.options.retentionMs / 86_400_000) * 1000) / 1000,
      since: (await this.store.since(boardId)).toISOString(),
    }
  }

  async save(principal: ResolvedPrincipal, boardId: string, name: string): Promise<Version> {
    await this.access(principal, boardId, 'history.save')
    const trimmed = name.trim()
    if (!trimmed) throw badRequest('name: give the version a name')
    const seq = await this.store.headSeq(this.d.db, boardId)
    const row = await this.saveAt(boardId, seq, { kind: 'named', name: trimmed, actor: actorOf(principal) })
    if (!row) throw notFound('Board')
    await recordActivity(this.d.db, boardId, ActivityType.versionSaved, actorOf(principal), { versionId: row.id, name: trimmed })
    return (await this.present([row]))[0]!
  }

  /** The board's content at a version: JSON, or the Yjs update (`yjs`). */
  async document(principal: ResolvedPrincipal, boardId: string, versionId: string, format: 'json' | 'yjs'): Promise<VersionDocument | Uint8Array> {
    await this.access(principal, boardId, 'history.view')
    const v = await this.versionOf(boardId, versionId)
    const doc = await this.docAt(boardId, v.seq)
    try {
      if (format === 'yjs') return Y.encodeStateAsUpdate(doc)
      return { versionId: v.id, createdAt: v.createdAt.toISOString(), content: contentOf(doc) }
    } finally {
      doc.destroy()
    }
  }

  private async docAt(boardId: string, seq: number): Promise<Y.Doc> {
    const { base, rows } = await this.store.log(boardId, seq)
    return buildDoc(base, rows.map((r) => r.data))
  }

  /** What differs between a version and now (or another version), and who changed it in between. */
  async diff(principal: ResolvedPrincipal, boardId: string, versionId: string, to: string): Promise<VersionDiff> {
    await this.access(principal, boardId, 'history.view')
    const v = await this.versionOf(boardId, versionId)
    let diffs
    if (to === 'live') {
      const then = await this.docAt(boardId, v.seq)
      const start = contentOf(then)
      then.destroy()
      diffs = await this.replays.use(boardId, (r) => diffContents(start, contentOf(r.doc), changersByEntry(r.changes.filter((c) => c.seq > v.seq))))
    } else {
      const other = await this.versionOf(boardId, to)
      const [lo, hi] = other.seq < v.seq ? [other.seq, v.seq] : [v.seq, other.seq]
      const { base, rows } = await this.store.log(boardId, hi)
      const doc = buildDoc(base, rows.filter((r) => r.seq <= lo).map((r) => r.data))
      const first = contentOf(doc)
      const changes: EntryChange[] = []
      replay(doc, rows.filter((r) => r.seq > lo), (c) => changes.push(c))
      const last = contentOf(doc)
      doc.destroy()
      const changers = changersByEntry(changes)
      diffs = other.seq < v.seq ? diffContents(last, first, changers) : diffContents(first, last, changers)
    }
    const people = await this.store.people(diffs.flatMap((d) => d.by))
    return { from: v.id, to, changes: diffs.map((d) => ({ ...d, by: d.by.map((k) => people.get(k)!) })) }
  }

  /** Who created and last changed each element the history reaches. */
  async attribution(principal: ResolvedPrincipal, boardId: string): Promise<Attribution> {
    await this.access(principal, boardId, 'history.view')
    const found = await this.replays.use(boardId, (r) => {
      const shapes = r.doc.getMap('shapes')
      const markup = r.doc.getMap('markup')
      return attribute(r.changes, (id) => shapes.has(id) || markup.has(id))
    })
    const people = await this.store.people([...found.values()].flatMap((a) => [a.createdBy, a.changedBy]).filter((k): k is string => k !== null))
    const elements: Attribution['elements'] = {}
    for (const [id, a] of found) {
      elements[id] = {
        createdBy: a.createdBy ? people.get(a.createdBy)! : null,
        createdAt: iso(a.createdAt),
        changedBy: a.changedBy ? people.get(a.changedBy)! : null,
        changedAt: iso(a.changedAt),
      }
    }
    return { elements }
  }

  // ---- restore and revert ------------------------------------------------

  async restore(principal: ResolvedPrincipal, boardId: string, versionId: string): Promise<RestoreResult> {
    const access = await this.access(principal, boardId, 'history.restore')
    const v = await this.versionOf(boardId, versionId)
    const before = await this.autoVersion(boardId, 'before_restore')
    const old = await this.docAt(boardId, v.seq)
    const content = contentOf(old)
    old.destroy()
    let changed = 0
    await this.write(boardId, principal, access.role!, (doc) => {
      const live = contentOf(doc)
      const wanted = wantedFrom(live, content)
      for (const [root, entries] of wanted) for (const [id, value] of entries) if (entryDelta(root, live[root][id], value)) changed++
      return updateTowards(doc, wanted)
    })
    const label = v.name ?? `version of ${v.createdAt.toISOString()}`
    const row = await this.saveAt(boardId, await this.store.headSeq(this.d.db, boardId), {
      kind: 'restore',
      name: label,
      actor: actorOf(principal),
      data: { restoredFrom: v.id, changed },
    })
    if (!row) throw notFound('Board')
    const [version] = await this.present([row])
    await recordActivity(this.d.db, boardId, ActivityType.restored, actorOf(principal), { versionId: v.id, name: label, changed })
    this.d.changes.record({ type: 'board.restored', boardId, kind: 'restore', version: version!, by: person(principal) })
    return { before, version: version!, changed }
  }

  async revert(principal: ResolvedPrincipal, boardId: string, request: RevertRequest): Promise<RevertResult> {
    const access = await this.access(principal, boardId, 'history.restore')
    const target = `${request.person.kind}:${request.person.id}`
    const sinceMs = request.since === undefined ? (await this.store.since(boardId)).getTime() : Date.parse(request.since)
    if (!Number.isFinite(sinceMs)) throw badRequest('since: an ISO date and time')
    const [who] = (await this.store.people([target])).values()
    const { base, rows } = await this.store.log(boardId)
    const cut = rows.findIndex((r) => r.at >= sinceMs)
    const after = cut < 0 ? [] : rows.slice(cut)
    const doc = buildDoc(base, (cut < 0 ? rows : rows.slice(0, cut)).map((r) => r.data))
    const { wanted, end } = revertTarget(doc, after, target)
    doc.destroy()
    const plan: RevertPlan = { person: who!, since: new Date(sinceMs).toISOString(), removed: [], recreated: [], reset: [] }
    for (const [root, entries] of wanted) {
      for (const [id, value] of entries) {
        const delta = entryDelta(root, end[root][id], value)
        if (!delta) continue
        if (delta.kind === 'removed') plan.removed.push({ root, id })
        else if (delta.kind === 'recreated') plan.recreated.push({ root, id })
        else plan.reset.push({ root, id, fields: delta.fields })
      }
    }
    const nothing = plan.removed.length + plan.recreated.length + plan.reset.length === 0
    if (request.dryRun || nothing) return { ...plan, applied: false, before: null, version: null }
    const before = await this.autoVersion(boardId, 'before_revert')
    await this.write(boardId, principal, access.role!, (live) => updateTowards(live, wanted))
    const counts = { removed: plan.removed.length, recreated: plan.recreated.length, reset: plan.reset.length }
    const row = await this.saveAt(boardId, await this.store.headSeq(this.d.db, boardId), {
      kind: 'revert',
      name: `changes of ${plan.person.name} since ${plan.since}`,
      actor: actorOf(principal),
      data: { reverted: { person: plan.person, since: plan.since }, ...counts },
    })
    if (!row) throw notFound('Board')
    const [version] = await this.present([row])
    await recordActivity(this.d.db, boardId, ActivityType.reverted, actorOf(principal), { person: plan.person, since: plan.since, ...counts })
    this.d.changes.record({ type: 'board.restored', boardId, kind: 'revert', version: version!, by: person(principal) })
    return { ...plan, applied: true, before, version: version! }
  }

  private async write(boardId: string, principal: ResolvedPrincipal, role: Role, build: (doc: Y.Doc) => Uint8Array | null): Promise<void> {
    const result = await this.writer.writeAs(boardId, principal, role, build)
    if (result.ok) return
    switch (result.code) {
      case CloseCode.tooLarge:
        throw new AppError(413, ErrorCode.tooLarge, 'The restored board would be larger than a board may be; nothing was changed')
      case CloseCode.notFound:
        throw notFound('Board')
      case CloseCode.updateRefused:
        throw new AppError(409, ErrorCode.conflict, `The board refused the change (${result.reason}); nothing was changed`)
      default:
        throw new AppError(503, ErrorCode.unavailable, 'The board could not be changed right now; try again')
    }
  }

  // ---- retention -----------------------------------------------------------

  /** Drops history older than the retention period; answers how many boards' logs were folded. */
  sweep(now = Date.now()): Promise<number> {
    return this.store.sweep(new Date(now - this.options.retentionMs))
  }

  // ---- presenting ----------------------------------------------------------

  private async present(rows: VersionRow[]): Promise<Version[]> {
    const keys = rows.flatMap((r) => ((r.data.contributors as { key: string }[] | undefined) ?? []).map((c) => c.key))
    const people = await this.store.people(keys)
    return rows.map((r) => {
      const contributors: Contribution[] = ((r.data.contributors as { key: string; added: number; changed: number; deleted: number }[] | undefined) ?? []).map(
        ({ key, ...counts }) => ({ ...people.get(key)!, ...counts }),
      )
      const createdBy: HistoryPerson | null =
        r.actorKind && r.actorId ? { kind: r.actorKind, id: r.actorId, name: r.actorName ?? '', guest: r.actorKind === 'guest' } : null
      const v: Version = {
        id: r.id,
        kind: r.kind,
        reason: (r.reason as AutoReason | null) ?? null,
        name: r.name,
        createdAt: r.createdAt.toISOString(),
        createdBy,
        contributors,
      }
      if (typeof r.data.restoredFrom === 'string') v.restoredFrom = r.data.restoredFrom
      if (r.data.reverted) v.reverted = r.data.reverted as Version['reverted']
      return v
    })
  }
}

function person(p: ResolvedPrincipal): HistoryPerson {
  const s = principalSummary(p)
  return { kind: s.kind, id: s.id, name: s.name, guest: s.kind === 'guest' }
}
