// After a burst, a quiet server gives the burst's garbage back (one full
// collection); while the loop is busy, or when little garbage waits, it leaves
// collection to V8. Uses the real collector, not a stand-in.
import { getHeapStatistics } from 'node:v8'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { IdleMemory, fullCollection } from '../src/util/idle-memory.js'

const MB = 1024 * 1024
const logger = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Objects that live long enough to reach the old generation, then die: ~90 MB, as a burst of opened-and-left rooms leaves. */
function burst(): number {
  let kept: unknown[] = []
  for (let i = 0; i < 250_000; i++) kept.push({ id: i, name: 'x'.repeat(200) + i, parts: [i, i + 1, i + 2] })
  const n = kept.length
  kept = []
  return n
}

function busyFor(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) Math.sqrt(Math.random())
}

describe('idle memory', () => {
  const gc = fullCollection()

  it('can reach the full collector without command-line flags', () => {
    expect(typeof gc).toBe('function')
  })

  it('collects a burst of garbage once the loop is quiet, and then not again', async () => {
    // On a loaded machine V8 sometimes collects the burst itself before the
    // loop has been quiet long enough (then nothing is left to give back), or
    // the quiet window is too short: the scenario gets a few tries, and must
    // succeed in one of them.
    let collected = false
    for (let attempt = 0; attempt < 5 && !collected; attempt++) {
      const idle = new IdleMemory(gc!, logger, { checkMs: 1_000_000, growthBytes: 16 * MB, maxBusy: 0.2 })
      gc!()
      idle.check() // baseline after a collection
      await sleep(300)
      burst()
      const before = getHeapStatistics().used_heap_size
      expect(idle.check()).toBe(false) // the burst itself kept the loop busy
      for (let wait = 0; wait < 5 && !collected; wait++) {
        await sleep(300)
        if (!idle.check()) continue
        collected = true
        const after = getHeapStatistics().used_heap_size
        expect(before - after).toBeGreaterThan(16 * MB)
        await sleep(300)
        expect(idle.check()).toBe(false) // nothing new waits
        expect(idle.collections).toBe(1)
      }
    }
    expect(collected).toBe(true)
  })

  it('leaves a busy loop alone, however much garbage waits', async () => {
    const idle = new IdleMemory(gc!, logger, { checkMs: 1_000_000, growthBytes: 16 * MB, maxBusy: 0.2 })
    gc!()
    idle.check()
    await sleep(50)
    burst()
    busyFor(400)
    expect(idle.check()).toBe(false)
    expect(idle.collections).toBe(0)
  })

  it('runs on its own interval and stops on close', async () => {
    const idle = new IdleMemory(gc!, logger, { checkMs: 100, growthBytes: 16 * MB, maxBusy: 0.5 })
    gc!()
    idle.check()
    burst()
    idle.start()
    for (let i = 0; i < 50 && idle.collections === 0; i++) await sleep(100)
    expect(idle.collections).toBeGreaterThan(0)
    idle.close()
    const n = idle.collections
    burst()
    await sleep(400)
    expect(idle.collections).toBe(n)
  })
})
