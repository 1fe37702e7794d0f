const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses `500ms`, `90s`, `15m`, `24h`, `7d` (or plain milliseconds) into ms. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (!match) return null
  const value = Number(match[1]) * UNITS[match[2] ?? 'ms']!
  return Number.isFinite(value) ? Math.round(value) : null
}
