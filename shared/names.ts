import { GUEST_NAME_MAX } from './constants.js'

// C0, DEL, C1 controls, plus the invisible format characters people use to
// spoof names (bidi overrides, zero-width joiners and friends).
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string }

/** Trims and NFC-normalises a display name; 1-64 characters, no controls. */
export function normalizeDisplayName(raw: unknown, max = GUEST_NAME_MAX): NameCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'must be a string' }
  const name = raw.normalize('NFC').trim()
  if (name.length === 0) return { ok: false, reason: 'must not be empty' }
  if ([...name].length > max) return { ok: false, reason: `must be at most ${max} characters` }
  if (CONTROL.test(name)) return { ok: false, reason: 'must not contain control characters' }
  return { ok: true, name }
}
