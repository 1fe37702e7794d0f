// One contract, two buses: the in-process one and Redis (when available).
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { type Bus, LocalBus, type RoomMessageKind } from '../src/bus/bus.js'
import { RedisBus } from '../src/bus/redis-bus.js'
import type { BoardSignal } from '../src/bus/signals.js'
import { redisBaseUrl, uniqueRedisPrefix } from './helpers/services.js'
import { waitFor } from './helpers/collab.js'

const logger = pino({ level: 'silent' })
const redisUrl = redisBaseUrl()
if (!redisUrl) process.stdout.write('bus-contract.test.ts: Redis bus suite SKIPPED (set REDIS_URL or TEST_REDIS_URL)\n')

interface Impl {
  name: string
  available: boolean
  /** Buses that can reach each other (instances of one deployment). */
  make(n: number): Promise<Bus[]>
  /** Whether separate instances share traffic. */
  shared: boolean
}

const opened: Bus[] = []
afterAll(async () => {
  for (const b of opened) await b.close()
})

const impls: Impl[] = [
  {
    name: 'LocalBus',
    available: true,
    shared: false,
    make: async (n) => Array.from({ length: n }, () => new LocalBus()),
  },
  {
    name: 'RedisBus',
    available: Boolean(redisUrl),
    shared: true,
    make: async (n) => {
      const prefix = uniqueRedisPrefix()
      return Promise.all(Array.from({ length: n }, () => RedisBus.connect({ url: redisUrl!, prefix, logger })))
    },
  },
]

const signal = (boardId: string): BoardSignal => ({ type: 'board.changed', boardId })
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

for (const impl of impls) {
  describe.skipIf(!impl.available)(`bus contract: ${impl.name}`, () => {
    async function buses(n: number) {
      const made = await impl.make(n)
      opened.push(...made)
      return made
    }

    it('delivers a signal to its own subscribers exactly once, asynchronously', async () => {
      const [a] = await buses(1)
      const got: BoardSignal[] = []
      a!.subscribe((s) => got.push(s))
      a!.publish(signal('b1'))
      expect(got).toEqual([])
      await waitFor(() => got.length === 1)
      await pause(100)
      expect(got).toEqual([signal('b1')])
      expect(a!.healthy).toBe(true)
    })

    it('never echoes room traffic to the publishing instance', async () => {
      const [a] = await buses(1)
      const got: unknown[] = []
      await a!.joinRoom('r1', (kind, data) => got.push([kind, data]))
      a!.publishRoom('r1', 'update', new Uint8Array([1, 2, 3]))
      await pause(150)
      expect(got).toEqual([])
    })

    it.runIf(impl.shared)('delivers signals to every instance, once each', async () => {
      const [a, b, c] = await buses(3)
      const got = new Map<Bus, BoardSignal[]>([[a!, []], [b!, []], [c!, []]])
      for (const [bus, list] of got) bus.subscribe((s) => list.push(s))
      a!.publish(signal('x'))
      await waitFor(() => [...got.values()].every((l) => l.length === 1))
      await pause(100)
      for (const list of got.values()) expect(list).toEqual([signal('x')])
    })

    it.runIf(impl.shared)('delivers room traffic, byte for byte, only to instances in the room', async () => {
      const [a, b, c] = await buses(3)
      const atB: [RoomMessageKind, Uint8Array][] = []
      const atC: unknown[] = []
      await b!.joinRoom('board-1', (kind, data) => atB.push([kind, data]))
      await c!.joinRoom('board-2', (kind, data) => atC.push([kind, data]))
      const payload = new Uint8Array(70_000).map((_, i) => i % 251)
      a!.publishRoom('board-1', 'update', payload)
      a!.publishRoom('board-1', 'awareness', new Uint8Array([9]))
      await waitFor(() => atB.length === 2)
      expect(atB[0]![0]).toBe('update')
      expect(Buffer.compare(Buffer.from(atB[0]![1]), Buffer.from(payload))).toBe(0)
      expect(atB[1]).toEqual(['awareness', new Uint8Array([9])])
      b!.leaveRoom('board-1')
      await pause(50)
      a!.publishRoom('board-1', 'update', new Uint8Array([1]))
      await pause(150)
      expect(atB).toHaveLength(2)
      expect(atC).toEqual([])
    })

    it.runIf(impl.shared)('keeps deployments with different prefixes apart', async () => {
      const [a] = await buses(1)
      const [other] = await buses(1)
      const got: BoardSignal[] = []
      other!.subscribe((s) => got.push(s))
      a!.publish(signal('private'))
      await pause(150)
      expect(got).toEqual([])
    })
  })
}
