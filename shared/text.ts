// What user text may contain. Names, titles and comment bodies are shown to
// other people, so characters that hide text, fake blank names or reorder
// what is displayed (bidi controls) are refused rather than silently dropped:
// the author sees why, and nothing stored differs from what was sent.

/** Explicit directional formatting: reorders text around it (Trojan Source style). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

// Format characters (\p{Cf}: soft hyphen, zero-width characters, word joiner,
// invisible operators, tag characters, interlinear annotation, ...), lone
// surrogates, noncharacters, and the letters and symbols that render as
// nothing: Hangul fillers, Braille blank, combining grapheme joiner, Khmer
// inherent vowels, Mongolian variation selectors, line and paragraph
// separators, and the whole tag block (U+E0000-U+E007F, assigned or not).
const INVISIBLE =
  /[\p{Cf}\p{Cs}\p{Noncharacter_Code_Point}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2028\u2029\u2800\u3164\uffa0\u{e0000}-\u{e007f}]/u

// Zero-width (non-)joiners shape real scripts (Persian, Indic) and emoji
// sequences; between two visible characters they cannot hide anything.
const JOINERS_IN_CONTEXT =
  /(?<=[\p{L}\p{M}])[\u200c\u200d](?=\p{L})|(?<=[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f])\u200d(?=\p{Extended_Pictographic})/gu

const CONTROL = /\p{Cc}/u
// Newlines and tabs are text in multi-line bodies.
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u

/** Something a reader sees: a letter, digit, punctuation mark or symbol. */
export const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u

/** Why `text` may not be shown to others, or null. Pass normalised text. */
export function textProblem(text: string, options: { multiline: boolean }): string | null {
  if ((options.multiline ? CONTROL_BUT_LINES : CONTROL).test(text)) {
    return options.multiline ? 'must not contain control characters other than newlines and tabs' : 'must not contain control characters'
  }
  if (BIDI.test(text)) return 'must not contain bidirectional control characters'
  if (INVISIBLE.test(text.replace(JOINERS_IN_CONTEXT, ''))) return 'must not contain invisible characters'
  return null
}
