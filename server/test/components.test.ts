// Components start in order and close in the reverse order; a start that
// fails halfway releases what it had started (no database or Redis
// connection leaks), with the real embedded database and, when configured,
// the real Redis.
import { rm } from 'node:fs/promises'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { RedisBus } from '../src/bus/redis-bus.js'
import { Store } from '../src/store/db.js'
import { Lifecycle } from '../src/util/lifecycle.js'
import { freshDataDir } from './helpers/data-dir.js'
import { redisBaseUrl, uniqueRedisPrefix } from './helpers/services.js'
import { useServer } from './helpers/suite.js'

const logger = pino({ level: 'silent' })
const redisUrl = redisBaseUrl()

describe('Lifecycle', () => {
  it('closes in the reverse order of start, once, and a failing close does not stop the others', async () => {
    const closed: string[] = []
    const life = new Lifecycle(logger)
    await life.start('a', () => 1, () => void closed.push('a'))
    life.add('b', 2, () => {
      closed.push('b')
      throw new Error('b will not close')
    })
    await life.start('c', async () => 3, async () => void closed.push('c'))
    expect(life.names).toEqual(['a', 'b', 'c'])
    await Promise.all([life.close(), life.close()])
    expect(closed).toEqual(['c', 'b', 'a'])
  })

  it('a start that fails halfway closes what it started: the database and Redis are released', async () => {
    const dir = await freshDataDir('drawbridge-components-')
    let store: Store | undefined
    let bus: RedisBus | undefined
    try {
      await expect(
        new Lifecycle(logger).build(async (life) => {
          store = await life.start('database', () => Store.open({ dataDir: dir, poolSize: 1 }, logger), (s) => s.close())
          if (redisUrl) bus = await life.start('bus', () => RedisBus.connect({ url: redisUrl, prefix: uniqueRedisPrefix(), logger }), (b) => b.close())
          throw new Error('a later component failed to start')
        }),
      ).rejects.toThrow('a later component failed to start')
      await expect(store!.ping()).rejects.toThrow()
      if (redisUrl) await expect(bus!.client.ping()).rejects.toThrow()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('the app', () => {
  const suite = useServer()
  it('starts its components in one order (and so closes them in the reverse one)', () => {
    // The embedded database gets the vacuum PGlite does not run by itself.
    const vacuum = suite.server.store.kind === 'pglite' ? ['embedded vacuum'] : []
    expect(suite.server.components).toEqual(['database', 'bus', 'mail', 'http', 'live access', 'document store', 'collaboration', 'presence', 'socket.io', 'webhooks', 'sweeper', 'history', 'votes', 'idle memory', ...vacuum])
  })
})
