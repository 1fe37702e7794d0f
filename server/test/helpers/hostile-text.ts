// Characters that hide text, fake a blank name or reorder what is shown
// (issue 14), for the name and comment tests.

export const INVISIBLE_SAMPLES: Record<string, string> = {
  'U+3164 Hangul filler': '\u3164',
  'U+2800 Braille blank': '\u2800',
  'U+115F Hangul choseong filler': '\u115f',
  'U+1160 Hangul jungseong filler': '\u1160',
  'U+FFA0 halfwidth Hangul filler': '\uffa0',
  'U+00AD soft hyphen': '\u00ad',
  'U+180E Mongolian vowel separator': '\u180e',
  'U+200B zero-width space': '\u200b',
  'U+2060 word joiner': '\u2060',
  'U+FEFF zero-width no-break space': '\ufeff',
  'U+E0001 language tag': '\u{e0001}',
  'U+E0041 tag A': '\u{e0041}',
  'U+E007F cancel tag': '\u{e007f}',
  'U+E0000 (tag block, unassigned)': '\u{e0000}',
  'U+2028 line separator': '\u2028',
  'U+2029 paragraph separator': '\u2029',
  'lone surrogate': '\ud800',
}
export const BIDI_SAMPLES: Record<string, string> = {
  'U+061C Arabic letter mark': '\u061c',
  'U+200E left-to-right mark': '\u200e',
  'U+200F right-to-left mark': '\u200f',
  'U+202A LRE': '\u202a',
  'U+202E RLO': '\u202e',
  'U+2066 LRI': '\u2066',
  'U+2069 PDI': '\u2069',
}
