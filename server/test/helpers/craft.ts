// Hand-built Yjs updates (v1 encoding), for attacks no Yjs API would write:
// items whose origin, right origin or parent point anywhere, duplicated
// client sections, deep values.
import * as encoding from 'lib0/encoding'

export type Id = [client: number, clock: number]

export interface CraftItem {
  origin?: Id
  rightOrigin?: Id
  /** A root name, or the id of the item holding the parent type. Only used without origins. */
  parent?: string | Id
  key?: string
  /** ContentAny values (one clock each); default one `true`. */
  values?: readonly unknown[]
  /** A type (Y.Map = 1, Y.Array = 0, Y.Text = 2) instead of values. */
  type?: number
  /** An embed (ContentEmbed, as Y.Text formatting uses) instead of values. */
  embed?: unknown
  /** A GC struct of this length instead of an item. */
  gc?: number
}

export interface CraftSection {
  client: number
  clock: number
  items: CraftItem[]
}

export function craftUpdate(sections: CraftSection[], deletes: [client: number, clock: number, len: number][] = []): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, sections.length)
  for (const s of sections) {
    encoding.writeVarUint(e, s.items.length)
    encoding.writeVarUint(e, s.client)
    encoding.writeVarUint(e, s.clock)
    for (const it of s.items) {
      if (it.gc !== undefined) {
        encoding.writeUint8(e, 0)
        encoding.writeVarUint(e, it.gc)
        continue
      }
      const ref = it.type !== undefined ? 7 : it.embed !== undefined ? 5 : 8
      const info = ref | (it.origin ? 0x80 : 0) | (it.rightOrigin ? 0x40 : 0) | (!it.origin && !it.rightOrigin && it.key !== undefined ? 0x20 : 0)
      encoding.writeUint8(e, info)
      if (it.origin) {
        encoding.writeVarUint(e, it.origin[0])
        encoding.writeVarUint(e, it.origin[1])
      }
      if (it.rightOrigin) {
        encoding.writeVarUint(e, it.rightOrigin[0])
        encoding.writeVarUint(e, it.rightOrigin[1])
      }
      if (!it.origin && !it.rightOrigin) {
        const parent = it.parent ?? 'markup'
        if (typeof parent === 'string') {
          encoding.writeVarUint(e, 1)
          encoding.writeVarString(e, parent)
        } else {
          encoding.writeVarUint(e, 0)
          encoding.writeVarUint(e, parent[0])
          encoding.writeVarUint(e, parent[1])
        }
        if (it.key !== undefined) encoding.writeVarString(e, it.key)
      }
      if (it.type !== undefined) {
        encoding.writeVarUint(e, it.type)
      } else if (it.embed !== undefined) {
        encoding.writeVarString(e, JSON.stringify(it.embed))
      } else {
        const values = it.values ?? [true]
        encoding.writeVarUint(e, values.length)
        for (const v of values) encoding.writeAny(e, v as Parameters<typeof encoding.writeAny>[1])
      }
    }
  }
  const byClient = new Map<number, [number, number][]>()
  for (const [c, k, n] of deletes) byClient.set(c, [...(byClient.get(c) ?? []), [k, n]])
  encoding.writeVarUint(e, byClient.size)
  for (const [c, ranges] of byClient) {
    encoding.writeVarUint(e, c)
    encoding.writeVarUint(e, ranges.length)
    for (const [k, n] of ranges) {
      encoding.writeVarUint(e, k)
      encoding.writeVarUint(e, n)
    }
  }
  return encoding.toUint8Array(e)
}
