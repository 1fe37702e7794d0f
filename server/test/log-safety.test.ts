// Logs, attacked: invite tokens in logged URLs (whoever reads the log could
// join the board), and one huge value turning into a multi-megabyte line.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { capLine, createLogger, MAX_LOG_LINE_BYTES, redactUrl } from '../src/logger.js'
import { startDrawbridge } from '../src/server.js'
import { apiClient, registerUser } from './helpers/api.js'
import { createBoard, createInvite } from './helpers/fixtures.js'
import { TEST_ADMIN_TOKEN } from './helpers/server.js'
import { rm } from 'node:fs/promises'
import { freshDataDir } from './helpers/data-dir.js'

function sink(): { lines: string[]; stream: Writable } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  return { lines, stream }
}

describe('invite tokens', () => {
  it('never reach the logs from /api/invites/:token routes or /join/:token pages, at debug level', async () => {
    const { lines, stream } = sink()
    const dataDir = await freshDataDir('drawbridge-logs-')
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'debug', SERVE_WEB: 'false', ADMIN_TOKEN: TEST_ADMIN_TOKEN })
    const running = await startDrawbridge(config, createLogger(config.logLevel, stream))
    try {
      const api = apiClient(running.url)
      const owner = await registerUser(api)
      const board = await createBoard(api, owner.token)
      const invite = await createInvite(api, owner.token, board.id, 'editor')
      expect((await api.get(`/api/invites/${invite.token}`)).status).toBe(200)
      expect((await api.post(`/api/invites/${invite.token}/join`, { body: { name: 'Logged Guest' } })).status).toBe(201)
      await api.get(`/join/${invite.token}`)
      await api.get(`/join/${invite.token}?from=mail`)
      const all = lines.join('\n')
      expect(all).toContain('/api/invites/[redacted]/join')
      expect(all).toContain('/join/[redacted]')
      expect(all).not.toContain(invite.token)
    } finally {
      await running.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('are cut from URLs of every shape, and nothing else is', () => {
    expect(redactUrl('/api/invites/abc_DEF-123')).toBe('/api/invites/[redacted]')
    expect(redactUrl('/api/invites/abc/join?x=1')).toBe('/api/invites/[redacted]/join?x=1')
    expect(redactUrl('/join/abc#top')).toBe('/join/[redacted]#top')
    expect(redactUrl('/collab/board-1?token=eyJ.x.y&ext=1')).toBe('/collab/board-1?token=[redacted]&ext=1')
    expect(redactUrl('/api/boards/b1/invites')).toBe('/api/boards/b1/invites')
    expect(redactUrl('/api/boards/b1/invites/i1')).toBe('/api/boards/b1/invites/i1')
  })
})

describe('log lines', () => {
  const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, any>)

  it('stay under the cap, valid JSON and marked truncated, however large what is logged', () => {
    const { lines, stream } = sink()
    const logger = createLogger('info', stream)
    // The shape of the report: a database error quoting 20,000 parameters.
    const values = Array.from({ length: 20_000 }, (_, i) => 1_000_000_000 + i)
    const err = new Error(`insert into "client_ids" ... params: ${values.join(',')}`)
    logger.error({ err, boardId: 'b1' }, 'claiming client ids failed')
    logger.warn({ clientIds: values, boardId: 'b2' }, 'many ids')
    logger.warn({ nested: { deeper: { text: 'x'.repeat(3_000_000) } }, boardId: 'b3' }, 'long string')
    logger.warn(Object.fromEntries(values.map((v) => [`k${v}`, v])), 'many keys')
    logger.warn({ emoji: '😀'.repeat(100_000) }, 'multibyte')
    logger.info({ boardId: 'b4' }, 'small')
    expect(lines).toHaveLength(6)
    for (const line of lines) expect(Buffer.byteLength(line) + 1).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES)
    const [dbError, ids, long, keys, emoji, small] = parsed(lines)
    expect(dbError).toMatchObject({ level: 50, msg: 'claiming client ids failed', boardId: 'b1', truncated: true })
    expect(dbError!.err.message).toMatch(/^insert into "client_ids"/)
    expect(ids).toMatchObject({ msg: 'many ids', boardId: 'b2', truncated: true })
    expect(ids!.clientIds[0]).toBe(1_000_000_000)
    expect(long).toMatchObject({ msg: 'long string', boardId: 'b3', truncated: true })
    expect(keys).toMatchObject({ msg: 'many keys', truncated: true })
    expect(emoji).toMatchObject({ msg: 'multibyte', truncated: true })
    // Ordinary lines are left exactly as pino wrote them.
    expect(small).toEqual({ level: 30, time: expect.any(Number), pid: process.pid, hostname: expect.any(String), boardId: 'b4', msg: 'small' })
  })

  it('keeps redaction when cutting, and falls back to the essentials when nothing else fits', () => {
    const { lines, stream } = sink()
    const logger = createLogger('info', stream)
    logger.info({ token: 'secret-token-value', padding: 'p'.repeat(100_000) }, 'with a token')
    expect(lines[0]).not.toContain('secret-token-value')
    expect(JSON.parse(lines[0]!)).toMatchObject({ token: '[redacted]', truncated: true })
    // Deeply nested, wide structures shrink until only the essentials are left.
    const wide = (depth: number): unknown => (depth === 0 ? 'leaf-value-'.repeat(4) : Array.from({ length: 4 }, () => wide(depth - 1)))
    const line = capLine(`${JSON.stringify({ level: 40, time: 1, msg: 'm'.repeat(5000), tree: wide(8) })}\n`)
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES)
    expect(line.endsWith('\n')).toBe(true)
    const essentials = JSON.parse(line)
    expect(essentials).toMatchObject({ level: 40, time: 1, truncated: true })
    expect(essentials.tree).toBeUndefined()
    expect(essentials.msg).toMatch(/^m{1024}…/)
  })
})
