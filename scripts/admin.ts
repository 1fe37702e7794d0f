// `npm run admin -- <command>`: operate a Drawbridge server. Talks to the
// running server's admin API (ADMIN_TOKEN), except `restore`, which works on
// the embedded database while the server is stopped.
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pino from 'pino'
import { loadConfig } from '../server/src/config.js'
import { Store } from '../server/src/store/db.js'

const USAGE = `usage: npm run admin -- <command> [--url URL] [--token ADMIN_TOKEN]

  set-plan <user id or email> <free|pro>   set a user's plan
  boards [--ownerless]                     list boards (ownerless ones with time left)
  sweep                                    delete expired ownerless boards now
  mail [--limit N]                         mail kept in the outbox (no SMTP_URL), newest first
  guests <on|off>                          the global guest switch (off ends every guest session at once)
  backup <file.tar.gz>                     back up the embedded database (server running)
  restore <file.tar.gz> [--data-dir DIR]   restore the embedded database (server stopped)

The server is found at --url, or http://127.0.0.1:$PORT; the token is --token or ADMIN_TOKEN.`

const args = process.argv.slice(2)
function option(name: string): string | undefined {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const value = args[i + 1]
  args.splice(i, 2)
  return value
}
function flag(name: string): boolean {
  const i = args.indexOf(name)
  if (i >= 0) args.splice(i, 1)
  return i >= 0
}

const progress = (text: string) => process.stderr.write(`\r\x1b[2K${text}`)
const done = (text: string) => process.stderr.write(`\r\x1b[2K${text}\n`)

function fail(message: string): never {
  process.stderr.write(`admin: ${message}\n`)
  process.exit(1)
}

async function main(): Promise<void> {
  const config = loadConfig(process.env)
  const url = (option('--url') ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '')
  const token = option('--token') ?? config.adminToken
  const dataDir = option('--data-dir') ?? config.dataDir
  const ownerless = flag('--ownerless')
  const limit = option('--limit')
  const [command, ...rest] = args

  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    if (!token) fail('ADMIN_TOKEN is not set (the admin API is off without it)')
    let res: Response
    try {
      res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
    } catch (err) {
      fail(`cannot reach the server at ${url}: ${(err as Error).message}`)
    }
    if (!res.ok) {
      const text = await res.text()
      let message = text
      try {
        message = (JSON.parse(text) as { error: { message: string } }).error.message
      } catch {
        // not JSON
      }
      fail(`${method} ${path}: ${res.status} ${message}`)
    }
    return res
  }
  const json = async <T>(method: string, path: string, body?: unknown) => (await (await call(method, path, body)).json()) as T

  switch (command) {
    case 'set-plan': {
      const [who, plan] = rest
      if (!who || (plan !== 'free' && plan !== 'pro')) fail(USAGE)
      const id = who.includes('@') ? (await json<{ user: { id: string } }>('GET', `/api/admin/users?email=${encodeURIComponent(who)}`)).user.id : who
      const { user } = await json<{ user: { email: string; plan: string } }>('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, { plan })
      done(`${user.email} is now on the ${user.plan} plan`)
      return
    }
    case 'boards': {
      let cursor: string | null = null
      let total = 0
      const lines: string[] = []
      do {
        const page: { boards: { id: string; title: string; ownerless: boolean; secondsLeft: number | null }[]; nextCursor: string | null } = await json(
          'GET',
          `/api/admin/boards?limit=500${ownerless ? '&ownerless=true' : ''}${cursor ? `&cursor=${cursor}` : ''}`,
        )
        for (const b of page.boards) {
          const left = b.secondsLeft === null ? '' : `  deleted in ${Math.floor(b.secondsLeft / 3600)} h ${Math.floor((b.secondsLeft % 3600) / 60)} min`
          lines.push(`${b.id}  ${b.ownerless ? 'ownerless' : 'owned    '}  ${b.title}${left}`)
        }
        total += page.boards.length
        cursor = page.nextCursor
        progress(`fetched ${total} boards…`)
      } while (cursor)
      done(`${total} board(s)`)
      process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''))
      return
    }
    case 'sweep': {
      progress('sweeping…')
      const r = await json<{ warned: number; deleted: number }>('POST', '/api/admin/sweep')
      done(`swept: ${r.deleted} board(s) deleted, ${r.warned} warning(s) sent`)
      return
    }
    case 'mail': {
      if (limit !== undefined && !/^[0-9]{1,3}$/.test(limit)) fail(USAGE)
      const r = await json<{ smtp: boolean; messages: { id: number; to: string; subject: string; body: string; createdAt: string }[] }>(
        'GET',
        `/api/admin/mail${limit ? `?limit=${limit}` : ''}`,
      )
      if (r.smtp) done('SMTP_URL is set: mail is sent, none is kept here')
      done(`${r.messages.length} message(s) in the outbox`)
      for (const m of r.messages) process.stdout.write(`--- ${m.createdAt}  to ${m.to}\nSubject: ${m.subject}\n\n${m.body}\n\n`)
      return
    }
    case 'guests': {
      const [state] = rest
      if (state !== 'on' && state !== 'off') fail(USAGE)
      const r = await json<{ enabled: boolean }>('PUT', '/api/admin/guests', { enabled: state === 'on' })
      done(r.enabled ? 'guests are allowed' : 'guests are turned off; every guest session has ended')
      return
    }
    case 'backup': {
      const [file] = rest
      if (!file) fail(USAGE)
      progress('preparing the backup…')
      const res = await call('GET', '/api/admin/backup')
      const size = Number(res.headers.get('content-length') ?? 0)
      const out = createWriteStream(file)
      let written = 0
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        out.write(chunk)
        written += chunk.length
        progress(`downloading: ${(written / 1e6).toFixed(1)}${size ? ` of ${(size / 1e6).toFixed(1)}` : ''} MB`)
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
      done(`backup written to ${file} (${(written / 1e6).toFixed(1)} MB)`)
      return
    }
    case 'restore': {
      const [file] = rest
      if (!file) fail(USAGE)
      if (config.databaseUrl) fail('DATABASE_URL is set: restore PostgreSQL with pg_restore')
      const running = await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      )
      if (running) fail(`a server answers at ${url}: stop it before restoring`)
      const target = join(dataDir, 'pglite')
      progress(`reading ${file}…`)
      const archive = await readFile(file)
      if (existsSync(target)) {
        const aside = `${target}.before-restore-${Date.now()}`
        await rename(target, aside)
        done(`the current database was moved to ${aside}`)
      }
      progress('restoring…')
      await mkdir(dataDir, { recursive: true })
      const db = new PGlite(target, { loadDataDir: new Blob([archive]) })
      await db.waitReady
      await db.close()
      progress('checking…')
      const store = await Store.open({ dataDir, poolSize: 1 }, pino({ level: 'silent' }))
      const counts = (await (store.client as PGlite).query<{ users: number; boards: number }>(
        'SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM boards) AS boards',
      )).rows[0]!
      await store.close()
      done(`restored into ${target}: ${counts.users} user(s), ${counts.boards} board(s)`)
      return
    }
    default:
      process.stdout.write(USAGE + '\n')
      if (command && command !== 'help') process.exit(1)
  }
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)))
