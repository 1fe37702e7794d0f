// The server's layers import only downwards: a rule in a lower layer can
// never depend on a feature above it. Lower first; a directory may import
// its own layer's modules and any lower layer's.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = fileURLToPath(new URL('../src', import.meta.url))

/** Directory → rank. Top-level modules (config, errors, logger, metrics, paths) are rank 0 too. */
const RANK: Record<string, number> = {
  util: 0,
  store: 1,
  bus: 1,
  domain: 1,
  auth: 2,
  admin: 2,
  mail: 2,
  boards: 3,
  notifications: 4,
  comments: 5,
  sweeper: 5,
  transfer: 6,
  collab: 6,
  events: 6,
  history: 6,
  session: 6,
  webhooks: 6,
  http: 7,
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

describe('layers', () => {
  it('every server module imports only its own layer or lower ones', () => {
    const wrong: string[] = []
    for (const file of files(src)) {
      const rel = relative(src, file)
      const dir = rel.includes('/') ? rel.split('/')[0]! : null
      if (dir === null) continue
      const rank = RANK[dir]
      expect(rank, `${dir}/ has no layer in layers.test.ts`).toBeDefined()
      for (const m of readFileSync(file, 'utf8').matchAll(/from '\.\.\/([a-z-]+)\//g)) {
        const target = m[1]!
        if (target !== dir && (RANK[target] ?? 0) > rank!) wrong.push(`${rel} imports ${target}/`)
      }
    }
    expect(wrong).toEqual([])
  })
})
