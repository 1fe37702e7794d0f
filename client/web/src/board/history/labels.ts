// Words for history: what a version is, who someone is, when, and what an
// element was (its type and the start of its text).
import type { AutoReason, Contribution, HistoryPerson, Version } from '../../../../../shared/history.js'
import { formatDate } from '../../lib/format.js'

const REASONS: Record<AutoReason, string> = {
  quiet: 'Automatic save',
  left: 'Saved when everyone left',
  before_restore: 'Before a restore',
  before_revert: 'Before undoing someone’s changes',
}

/** A version's title: its name, or what made it. */
export function versionLabel(v: Version): string {
  switch (v.kind) {
    case 'named':
      return v.name ?? 'Named version'
    case 'restore':
      return v.name ? `Restored “${v.name}”` : 'Restored an earlier version'
    case 'revert':
      return v.reverted ? `Undid ${v.reverted.person.name}’s changes` : 'Undid someone’s changes'
    default:
      return v.reason ? REASONS[v.reason] : 'Automatic save'
  }
}

export function personName(p: Pick<HistoryPerson, 'name'>): string {
  return p.name.trim() || 'Someone'
}

export const samePerson = (a: { kind: string; id: string }, b: { kind: string; id: string } | null | undefined) => !!b && a.kind === b.kind && a.id === b.id

/** "3 added, 1 changed" (zeros left out). */
export function contributionText(c: Contribution): string {
  const parts = [
    c.added ? `${c.added} added` : '',
    c.changed ? `${c.changed} changed` : '',
    c.deleted ? `${c.deleted} deleted` : '',
  ].filter(Boolean)
  return parts.join(', ') || 'no element changes'
}

/** "just now", "5 min ago", "3 h ago", else the date. */
export function timeAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return ''
  const ms = now - Date.parse(iso)
  if (!Number.isFinite(ms)) return ''
  if (ms < 60_000) return 'just now'
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`
  return formatDate(iso)
}

/** The time of a version, precise enough to tell two apart. */
export function versionTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

const TYPE_NAMES: Record<string, string> = {
  rectangle: 'Rectangle',
  diamond: 'Diamond',
  ellipse: 'Ellipse',
  text: 'Text',
  line: 'Line',
  arrow: 'Arrow',
  freedraw: 'Drawing',
  image: 'Image',
  frame: 'Frame',
  magicframe: 'Frame',
  embeddable: 'Embed',
  iframe: 'Embed',
  // The old schema's entries.
  rect: 'Rectangle',
  sticky: 'Sticky note',
  pen: 'Drawing',
  scribble: 'Scribble',
  highlight: 'Highlight',
  note: 'Note',
}

/** "Text “Hello wor…”", "Rectangle", from an element's stored fields. */
export function describeElement(stored: Record<string, unknown> | null | undefined): string {
  const type = typeof stored?.type === 'string' ? stored.type : ''
  const name = TYPE_NAMES[type] ?? 'Element'
  const text = typeof stored?.text === 'string' ? stored.text.trim().replace(/\s+/g, ' ') : ''
  return text ? `${name} “${text.length > 24 ? `${text.slice(0, 24)}…` : text}”` : name
}
