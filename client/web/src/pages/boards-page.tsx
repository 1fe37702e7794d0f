// "/" — My boards for signed-in people; for everyone else, a temporary
// board in one step (no account) or the way to sign in.
import { useEffect, useState } from 'react'
import type { Board } from '../../../../shared/types.js'
import { normalizeDisplayName } from '../../../../shared/names.js'
import { apiFor, errorText } from '../lib/api.js'
import { formatDate, roleLabel } from '../lib/format.js'
import { prefetchBoard } from '../lib/board-chunk.js'
import { linkHandler, navigate } from '../lib/router.js'
import { session } from '../lib/session.js'
import { useAction } from '../lib/use-action.js'

function TemporaryBoardForm() {
  const [name, setName] = useState('')
  const { busy, error, setError, run } = useAction()
  const submit = (e: { preventDefault(): void }) => {
    e.preventDefault()
    const check = normalizeDisplayName(name)
    if (!check.ok) return setError(`Your name ${check.reason}.`)
    void run(async () => {
      const created = await apiFor(null).createTemporaryBoard(check.name)
      session.setGuest(created.board.id, { token: created.token, guest: created.guest })
      navigate(`/b/${created.board.id}`)
    })
  }
  return (
    <form className="stack" onSubmit={submit} data-testid="temp-board-form">
      <label htmlFor="temp-name">Your name</label>
      <input id="temp-name" autoComplete="nickname" maxLength={64} required value={name} onChange={(e) => {
              setName((e.target as HTMLInputElement).value)
              prefetchBoard()
            }} placeholder="How others will see you" />
      {error ? <p className="error" role="alert">{error}</p> : null}
      <button type="submit" className="button button-primary button-block" disabled={busy}>
        {busy ? 'Creating…' : 'Create a board without an account'}
      </button>
      <p className="muted small">Temporary boards are deleted after 24 hours unless a registered user claims them.</p>
    </form>
  )
}

export function BoardsPage() {
  const user = session.user()
  const [boards, setBoards] = useState<Board[] | null>(null)
  const [title, setTitle] = useState('')
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (!user) return
    apiFor(user.token)
      .listBoards()
      .then(setBoards, (e: unknown) => {
        setError(errorText(e))
        if ((e as { status?: number }).status === 401) session.setUser(null)
      })
  }, [user?.token])

  if (!user) {
    return (
      <main className="center-page">
        <div className="card">
          <h1>Drawbridge</h1>
          <p>A whiteboard you can share with anyone, in seconds, without making them sign up.</p>
          <TemporaryBoardForm />
          <hr />
          <p className="row">
            <a className="button" href="/signin" onClick={linkHandler('/signin')}>
              Sign in
            </a>
            <a className="button" href="/register" onClick={linkHandler('/register')}>
              Create account
            </a>
          </p>
        </div>
      </main>
    )
  }

  const create = async (e: { preventDefault(): void }) => {
    e.preventDefault()
    setError(null)
    try {
      const board = await apiFor(user.token).createBoard(title.trim() || undefined)
      navigate(`/b/${board.id}`)
    } catch (err) {
      setError(errorText(err))
    }
  }

  return (
    <main className="page">
      <header className="page-header">
        <h1>My boards</h1>
        <span className="muted">{user.user.name}</span>
        <a className="button button-ghost" href="/settings/api-keys" onClick={linkHandler('/settings/api-keys')}>
          API keys
        </a>
        <a className="button button-ghost" href="/settings/webhooks" onClick={linkHandler('/settings/webhooks')}>
          Webhooks
        </a>
        <button type="button" className="button button-ghost" onClick={() => session.setUser(null)}>
          Sign out
        </button>
      </header>
      <form className="row wrap" onSubmit={(e) => void create(e)}>
        <label className="sr-only" htmlFor="new-title">
          Board title
        </label>
        <input id="new-title" placeholder="Board title (optional)" maxLength={200} value={title} onChange={(e) => setTitle((e.target as HTMLInputElement).value)} />
        <button type="submit" className="button button-primary">
          New board
        </button>
      </form>
      {error ? <p className="error" role="alert">{error}</p> : null}
      {boards === null ? (
        <p className="muted">Loading…</p>
      ) : boards.length === 0 ? (
        <p className="muted">No boards yet. Create one, or open an invite link someone sent you.</p>
      ) : (
        <ul className="board-list">
          {boards.map((b) => (
            <li key={b.id}>
              <a href={`/b/${b.id}`} onClick={linkHandler(`/b/${b.id}`)} className="board-card">
                <strong>{b.title}</strong>
                <span className="muted small">
                  {b.myRole ? roleLabel[b.myRole] : ''} · created {formatDate(b.createdAt)}
                  {b.ownerless ? ' · temporary' : ''}
                  {b.locked ? ' · locked' : ''}
                  {b.archived ? ' · archived' : ''}
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
