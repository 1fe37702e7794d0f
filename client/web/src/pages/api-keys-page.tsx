// "/settings/api-keys" — personal API keys: make one (name, read or write,
// all boards or some), see its secret once with a copy button, see when each
// was last used, revoke.
import { useEffect, useState } from 'react'
import type { ApiKey, ApiKeyScope, Board, CreatedApiKey } from '../../../../shared/types.js'
import { apiFor, errorText } from '../lib/api.js'
import { formatDate } from '../lib/format.js'
import { linkHandler } from '../lib/router.js'
import { session } from '../lib/session.js'
import { useAction } from '../lib/use-action.js'
import { Checkboxes, ErrorLine, SignInFirst, SubmitRow } from '../ui/form-parts.js'

function SecretOnce({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret)
      setCopied(true)
    } catch {
      // No clipboard permission (or an insecure origin): select the text for a manual copy.
      ;(document.getElementById('new-key-secret') as HTMLInputElement | null)?.select()
    }
  }
  return (
    <section className="stack" data-testid="api-key-secret" role="status">
      <h2>“{created.key.name}” is ready</h2>
      <p>Copy the key now: it is shown only this once. Send it as <code>Authorization: Bearer …</code>.</p>
      <div className="row">
        <input id="new-key-secret" readOnly value={created.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} style={{ flex: 1, fontFamily: 'monospace' }} />
        <button type="button" className="button button-primary" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" className="button" onClick={onDone}>
        Done
      </button>
    </section>
  )
}

function NewKeyForm({ token, boards, onCreated }: { token: string; boards: Board[]; onCreated: (c: CreatedApiKey) => void }) {
  const [name, setName] = useState('')
  const [scope, setScope] = useState<ApiKeyScope>('read')
  const [allBoards, setAllBoards] = useState(true)
  const [picked, setPicked] = useState<string[]>([])
  const { busy, error, setError, run } = useAction({ staysBusy: false })
  const submit = (e: { preventDefault(): void }) => {
    e.preventDefault()
    if (!allBoards && picked.length === 0) return setError('Pick at least one board, or let the key reach all of them.')
    void run(async () => {
      onCreated(await apiFor(token).createApiKey({ name: name.trim(), scope, boards: allBoards ? null : picked }))
      setName('')
      setPicked([])
    })
  }
  return (
    <form className="stack" onSubmit={submit} data-testid="api-key-form">
      <h2>New key</h2>
      <div className="row wrap">
        <label>
          Name
          <input required maxLength={100} value={name} placeholder="What it is for" onChange={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Access
          <select value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value as ApiKeyScope)}>
            <option value="read">Read only</option>
            <option value="write">Read and write</option>
          </select>
        </label>
        <label>
          Boards
          <select value={allBoards ? 'all' : 'some'} onChange={(e) => setAllBoards((e.target as HTMLSelectElement).value === 'all')}>
            <option value="all">All my boards</option>
            <option value="some">Only these…</option>
          </select>
        </label>
      </div>
      {allBoards ? null : (
        <Checkboxes legend="Boards this key reaches" className="stack" options={boards.map((b) => ({ value: b.id, label: b.title }))} picked={picked} onChange={setPicked}>
          {boards.length === 0 ? <p className="muted small">You have no boards yet.</p> : null}
        </Checkboxes>
      )}
      <ErrorLine error={error} />
      <SubmitRow busy={busy} label="Create key" />
    </form>
  )
}

export function ApiKeysPage() {
  const user = session.user()
  const [keys, setKeys] = useState<ApiKey[] | null>(null)
  const [boards, setBoards] = useState<Board[]>([])
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (!user) return
    const api = apiFor(user.token)
    api.listApiKeys().then(setKeys, (e: unknown) => {
      setError(errorText(e))
      if ((e as { status?: number }).status === 401) session.setUser(null)
    })
    api.listBoards().then(setBoards, () => {})
  }, [user?.token])

  if (!user) return <SignInFirst title="API keys" what="API keys" />

  const titleOf = (id: string) => boards.find((b) => b.id === id)?.title ?? id
  const revoke = async (key: ApiKey) => {
    if (!confirm(`Revoke “${key.name}”? Scripts using it stop working at once.`)) return
    setError(null)
    try {
      await apiFor(user.token).revokeApiKey(key.id)
      setKeys((list) => (list ?? []).filter((k) => k.id !== key.id))
    } catch (err) {
      setError(errorText(err))
    }
  }

  return (
    <main className="page">
      <header className="page-header">
        <h1>API keys</h1>
        <a className="button button-ghost" href="/" onClick={linkHandler('/')}>
          My boards
        </a>
      </header>
      <p className="muted">
        A key lets a script use the API as you, within its limits: read-only keys never change anything, and a key can be kept to some boards. Keys keep
        working after a password change; revoke the ones you no longer need.
      </p>
      {created ? (
        <SecretOnce created={created} onDone={() => setCreated(null)} />
      ) : (
        <NewKeyForm
          token={user.token}
          boards={boards}
          onCreated={(c) => {
            setCreated(c)
            setKeys((list) => [...(list ?? []), c.key])
          }}
        />
      )}
      <ErrorLine error={error} />
      <h2>Your keys</h2>
      {keys === null ? (
        <p className="muted">Loading…</p>
      ) : keys.length === 0 ? (
        <p className="muted">No keys yet.</p>
      ) : (
        <ul className="stack" data-testid="api-key-list" style={{ listStyle: 'none', padding: 0 }}>
          {keys.map((k) => (
            <li key={k.id} className="row board-card" style={{ flexDirection: 'row' }}>
              <span className="stack" style={{ flex: 1 }}>
                <strong>{k.name}</strong>
                <span className="muted small">
                  {k.scope === 'read' ? 'Read only' : 'Read and write'} · {k.boards === null ? 'all boards' : k.boards.map(titleOf).join(', ')} · created{' '}
                  {formatDate(k.createdAt)} · {k.lastUsedAt ? `last used ${formatDate(k.lastUsedAt)}` : 'never used'}
                </span>
              </span>
              <button type="button" className="button button-danger" onClick={() => void revoke(k)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
