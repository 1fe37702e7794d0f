// Board history over HTTP and socket.io (docs/API.md, "History"): versions,
// what a version held, what changed since, restore and "revert a person".
// Used by the server's presenters and routes and by the SDK and web app.
import type { PrincipalKind } from './types.js'

export const VERSION_KINDS = ['auto', 'named', 'restore', 'revert'] as const
/**
 * `auto`: saved by the server (a burst of edits went quiet, the last person
 * left, or just before a restore or revert: see `reason`); `named`: saved by
 * a person; `restore` / `revert`: the state right after one.
 */
export type VersionKind = (typeof VERSION_KINDS)[number]
export type AutoReason = 'quiet' | 'left' | 'before_restore' | 'before_revert'

/** A person as history shows them: guests with the name they typed. */
export interface HistoryPerson {
  kind: PrincipalKind
  id: string
  name: string
  guest: boolean
}

/** One person's part in a version: distinct elements they added, changed (not added) and deleted. */
export interface Contribution extends HistoryPerson {
  added: number
  changed: number
  deleted: number
}

export interface Version {
  id: string
  kind: VersionKind
  reason: AutoReason | null
  /** Named versions: the name given; restore: the restored version's label. */
  name: string | null
  createdAt: string
  /** Who saved it (named, restore, revert); null for automatic versions. */
  createdBy: HistoryPerson | null
  /** Who changed the board between the previous version and this one. */
  contributors: Contribution[]
  /** Restore: the version restored; revert: the person reverted and since when. */
  restoredFrom?: string
  reverted?: { person: HistoryPerson; since: string }
}

export interface VersionList {
  versions: Version[]
  /** How long history is kept, in days. */
  retentionDays: number
  /** The earliest moment the history reaches back to. */
  since: string
}

export const HISTORY_ROOTS = ['shapes', 'markup', 'meta'] as const
export type HistoryRoot = (typeof HISTORY_ROOTS)[number]

/** A board's content as plain JSON: each root's entries by key (elements' stored fields; meta values as they are). */
export type DocContent = Record<HistoryRoot, Record<string, unknown>>

export interface VersionDocument {
  versionId: string
  createdAt: string
  content: DocContent
}

export type ChangeKind = 'added' | 'changed' | 'deleted'

/** One element that differs between a version and now (or another version). */
export interface ElementDiff {
  root: HistoryRoot
  id: string
  /** From the version's point of view: `added` exists now but not then. */
  change: ChangeKind
  /** Who changed it in between, in order of their first change. */
  by: HistoryPerson[]
}

export interface VersionDiff {
  from: string
  /** A version id, or `live`. */
  to: string
  changes: ElementDiff[]
}

export interface ElementAttribution {
  createdBy: HistoryPerson | null
  createdAt: string | null
  changedBy: HistoryPerson | null
  changedAt: string | null
}

/** Who created and last changed each element the history reaches (`GET .../history/attribution`). */
export interface Attribution {
  elements: Record<string, ElementAttribution>
}

export interface RevertRequest {
  person: { kind: PrincipalKind; id: string }
  /** ISO time; everything the person did since then is undone. Default: the start of the history. */
  since?: string
  /** Answer what would change, change nothing. */
  dryRun?: boolean
}

export interface RevertPlan {
  person: HistoryPerson
  since: string
  /** Elements the person created that would be removed. */
  removed: { root: HistoryRoot; id: string }[]
  /** Elements the person deleted that would come back. */
  recreated: { root: HistoryRoot; id: string }[]
  /** Elements whose fields would go back to before the person's changes. */
  reset: { root: HistoryRoot; id: string; fields: string[] }[]
}

export interface RevertResult extends RevertPlan {
  applied: boolean
  /** The automatic version saved just before, and the version the revert made (null for a dry run or when nothing changed). */
  before: Version | null
  version: Version | null
}

export interface RestoreResult {
  before: Version | null
  version: Version
  /** Elements the restore added, changed or removed. */
  changed: number
}

/** socket.io `board:restored`: the board's content was put back by a restore or a revert. */
export interface BoardRestoredPayload {
  boardId: string
  kind: 'restore' | 'revert'
  version: Version
  by: HistoryPerson
}
