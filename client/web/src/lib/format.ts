import type { Role } from '../../../../shared/capabilities.js'

/** "23 h 12 min", "9 min", "less than a minute". */
export function formatRemaining(ms: number): string {
  if (ms <= 60_000) return 'less than a minute'
  const totalMin = Math.floor(ms / 60_000)
  const h = Math.floor(totalMin / 60)
  const m = totalMin % 60
  if (h === 0) return `${m} min`
  return m === 0 ? `${h} h` : `${h} h ${m} min`
}

export const roleLabel: Record<Role, string> = {
  owner: 'Owner',
  editor: 'Editor',
  reviewer: 'Reviewer',
  reader: 'Reader',
}

export const roleHelp: Record<Role, string> = {
  owner: 'can do everything',
  editor: 'can draw and edit everything',
  reviewer: 'can draw and write on top of the board, change only what they added, and comment',
  reader: 'can look, pan, zoom and follow others',
}

export function formatDate(iso: string | null): string {
  if (!iso) return 'never'
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/)
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase()
}
