import { GUEST_NAME_MAX } from './constants.js'
import { textProblem, VISIBLE } from './text.js'

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string }

/**
 * The words of the badges the app stamps next to names (GUEST) and of the
 * roles. A name may not contain one as a standalone all-caps word, so that
 * "Alice GUEST" or "Bob OWNER" cannot pass for a badge; "Olivia Owner" or
 * "Gail Guest-Editor" are ordinary names and stay allowed.
 */
export const BADGE_WORDS = ['GUEST', 'OWNER', 'EDITOR', 'REVIEWER', 'READER'] as const
const BADGE = new RegExp(`(?<![\\p{L}\\p{N}\\p{M}])(?:${BADGE_WORDS.join('|')})(?![\\p{L}\\p{N}])`, 'u')

// Capitals from other scripts (Cyrillic, Greek, Armenian, Cherokee, Lisu) and
// Latin small capitals that read as the Latin letters of the badge words;
// NFKC already folds fullwidth, circled and mathematical letters.
const LOOKALIKES: Record<string, string> = {
  A: 'АΑᎪꓮᴀ',
  D: 'Ꭰꓓᴅ',
  E: 'ЕΕᎬꓰᴇ',
  G: 'ԌᏀꓖɢ',
  I: 'ІΙꓲɪ',
  N: 'Νꓠɴ',
  O: 'ОΟՕꓳᴏ',
  R: 'Ꭱꓣʀ',
  S: 'ЅᏚꓢꜱՏ',
  T: 'ТΤᎢꓔᴛ',
  U: 'Սꓴᴜᑌ',
  V: 'Ꮩꓦᴠ',
  W: 'ԜᎳꓪᴡ',
}
const FOLD = new Map(Object.entries(LOOKALIKES).flatMap(([latin, chars]) => [...chars].map((c) => [c, latin] as const)))

export function imitatesBadge(name: string): boolean {
  return BADGE.test([...name].map((c) => FOLD.get(c) ?? c).join(''))
}

const EDGE_BLANKS = /^[\t\n\v\f\r\p{Zs}]+|[\t\n\v\f\r\p{Zs}]+$/gu

/**
 * One line of display text: normalised (`form`), refused when it holds
 * control, bidi or invisible characters, trimmed, runs of spaces (no-break
 * and ideographic spaces too) collapsed to one, 1-`max` characters with at
 * least one visible one.
 */
function normalizeLine(raw: unknown, max: number, form: 'NFC' | 'NFKC'): NameCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'must be a string' }
  // Bounds the work below; normalisation changes lengths only a little.
  if (raw.length > 4 * max + 64) return { ok: false, reason: `must be at most ${max} characters` }
  // Blanks at the ends (a pasted tab or newline too) are trimmed, as always;
  // inside, a control character is refused and a run of spaces becomes one.
  const text = raw.normalize(form).replace(EDGE_BLANKS, '')
  const problem = textProblem(text, { multiline: false })
  if (problem) return { ok: false, reason: problem }
  const name = text.replace(/\p{Zs}+/gu, ' ')
  if (name.length === 0) return { ok: false, reason: 'must not be empty' }
  if ([...name].length > max) return { ok: false, reason: `must be at most ${max} characters` }
  if (!VISIBLE.test(name)) return { ok: false, reason: 'must contain a visible character' }
  return { ok: true, name }
}

/**
 * A person's name (guests, accounts): NFKC, so fullwidth or mathematical
 * letters cannot make a look-alike of someone else's name or of a badge.
 */
export function normalizeDisplayName(raw: unknown, max = GUEST_NAME_MAX): NameCheck {
  const checked = normalizeLine(raw, max, 'NFKC')
  if (checked.ok && imitatesBadge(checked.name)) {
    return { ok: false, reason: `must not contain ${BADGE_WORDS.join(', ')} as a word in capitals (they look like the app's badges)` }
  }
  return checked
}

/**
 * A board title: NFC only (a title may keep its "½" or "x²"), and no badge
 * rule, since titles are never shown next to badges.
 */
export function normalizeTitle(raw: unknown, max: number): NameCheck {
  return normalizeLine(raw, max, 'NFC')
}
