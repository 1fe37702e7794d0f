// Display names, titles and comment text: what other people get to see.
import { describe, expect, it } from 'vitest'
import { imitatesBadge, normalizeDisplayName, normalizeTitle } from './names.js'
import { textProblem } from './text.js'
import { BIDI_SAMPLES, INVISIBLE_SAMPLES } from '../server/test/helpers/hostile-text.js'

describe('normalizeDisplayName', () => {
  it.each(Object.entries(INVISIBLE_SAMPLES))('refuses %s', (_, c) => {
    for (const name of [`Al${c}ice`, `Alice${c}`, c]) {
      const r = normalizeDisplayName(name)
      expect(r.ok, JSON.stringify(name)).toBe(false)
    }
    expect(normalizeDisplayName(`Al${c}ice`)).toEqual({ ok: false, reason: 'must not contain invisible characters' })
  })

  it.each(Object.entries(BIDI_SAMPLES))('refuses %s', (_, c) => {
    expect(normalizeDisplayName(`Al${c}ice`)).toEqual({ ok: false, reason: 'must not contain bidirectional control characters' })
  })

  it('refuses control characters, non-strings, empty and over-long names', () => {
    for (const raw of ['a\u0000b', 'a\nb', 'a\tb', 'a\u007fb', 'a\u0085b', 42, null, '', '   ', '\u00a0\u3000', 'x'.repeat(65)]) {
      expect(normalizeDisplayName(raw).ok, JSON.stringify(raw)).toBe(false)
    }
    expect(normalizeDisplayName('x'.repeat(64))).toEqual({ ok: true, name: 'x'.repeat(64) })
    expect(normalizeDisplayName(' \tZoe\u0308\n ')).toEqual({ ok: true, name: 'Zo\u00eb' })
  })

  it('applies NFKC and collapses every kind of space to one', () => {
    expect(normalizeDisplayName('  Ａｌｉｃｅ\u00a0\u00a0 \u3000Ｂ  ')).toEqual({ ok: true, name: 'Alice B' })
    expect(normalizeDisplayName('e\u0301')).toEqual({ ok: true, name: '\u00e9' })
    expect(normalizeDisplayName('𝐁𝐨𝐛')).toEqual({ ok: true, name: 'Bob' })
  })

  it('refuses names that imitate a role badge, keeps ordinary words', () => {
    for (const name of ['Alice\u00a0GUEST\u00a0Owner', 'Bob OWNER', 'EDITOR', '(REVIEWER) Ann', 'Rex READER!', 'ＧＵＥＳＴ Al', 'GUЕST Al', 'ɢᴜᴇꜱᴛ Al', 'Al GUEST\u0301']) {
      const r = normalizeDisplayName(name)
      expect(r.ok, name).toBe(false)
      if (!r.ok) expect(r.reason).toContain('GUEST')
    }
    for (const name of ['Olivia Owner', 'Gail Guest-Editor', 'guest', 'GUESTHOUSE', 'Reader 2']) {
      expect(normalizeDisplayName(name).ok, name).toBe(true)
    }
    expect(imitatesBadge('Ann READER')).toBe(true)
    expect(imitatesBadge('Ann Reader')).toBe(false)
  })

  it('keeps joiners that shape scripts and emoji, not stray ones', () => {
    expect(normalizeDisplayName('می\u200cخواهم').ok).toBe(true)
    expect(normalizeDisplayName('👩\u200d💻 Dev').ok).toBe(true)
    expect(normalizeDisplayName('❤\ufe0f Love').ok).toBe(true)
    expect(normalizeDisplayName('\u200dAlice').ok).toBe(false)
    expect(normalizeDisplayName('Alice \u200c').ok).toBe(false)
  })

  it('needs something visible', () => {
    expect(normalizeDisplayName('\u0301\u0301').ok).toBe(false)
    expect(normalizeDisplayName('\ufe0f').ok).toBe(false)
  })
})

describe('normalizeTitle', () => {
  it('refuses invisible and bidi characters, collapses spaces, keeps NFC only and has no badge rule', () => {
    for (const c of [...Object.values(INVISIBLE_SAMPLES), ...Object.values(BIDI_SAMPLES)]) {
      expect(normalizeTitle(`Plan${c}A`, 200).ok, JSON.stringify(c)).toBe(false)
    }
    expect(normalizeTitle(' Plan\u00a0\u00a0½  x² ', 200)).toEqual({ ok: true, name: 'Plan ½ x²' })
    expect(normalizeTitle('GUEST ROOM plans', 200)).toEqual({ ok: true, name: 'GUEST ROOM plans' })
    expect(normalizeTitle('x'.repeat(201), 200).ok).toBe(false)
  })
})

describe('textProblem (comment bodies)', () => {
  it('keeps newlines and tabs, refuses other controls, bidi and invisible characters', () => {
    expect(textProblem('line 1\nline 2\tend', { multiline: true })).toBeNull()
    expect(textProblem('a\rb', { multiline: true })).toContain('control')
    for (const c of Object.values(BIDI_SAMPLES)) expect(textProblem(`a${c}b`, { multiline: true })).toContain('bidirectional')
    for (const c of Object.values(INVISIBLE_SAMPLES)) expect(textProblem(`a${c}b`, { multiline: true })).toContain('invisible')
    expect(textProblem('a\nb', { multiline: false })).toContain('control')
  })
})
