// "/settings/webhooks" — signed webhooks (pro): make one for all my boards or
// for one of them (URL, events), see its secret once, switch it on or off,
// send a test event, delete it, and read its delivery log (each attempt's
// status code, the start of the answer, how long it took, the error).
import { useEffect, useState } from 'react'
import type { Board } from '../../../../shared/types.js'
import { type CreatedWebhook, WEBHOOK_EVENTS, type Webhook, type WebhookDelivery, type WebhookEvent } from '../../../../shared/webhooks.js'
import { apiFor, errorText } from '../lib/api.js'
import { formatDate } from '../lib/format.js'
import { linkHandler } from '../lib/router.js'
import { session } from '../lib/session.js'
import { useAction } from '../lib/use-action.js'
import { Checkboxes, ErrorLine, SignInFirst, SubmitRow } from '../ui/form-parts.js'

type Api = ReturnType<typeof apiFor>
const baseOf = (boardId: string | null) => (boardId === null ? '/api/webhooks' : `/api/boards/${encodeURIComponent(boardId)}/webhooks`)
const EVENT_OPTIONS = WEBHOOK_EVENTS.map((ev) => ({ value: ev, label: <code>{ev}</code> }))
const oneOf = (w: Webhook) => `${baseOf(w.boardId)}/${encodeURIComponent(w.id)}`

async function listAll(api: Api, boards: Board[]): Promise<Webhook[]> {
  const mine = boards.filter((b) => b.myRole === 'owner')
  const lists = await Promise.all([null, ...mine.map((b) => b.id)].map((id) => api.request<{ webhooks: Webhook[] }>('GET', baseOf(id)).then((r) => r.webhooks)))
  return lists.flat()
}

function NewWebhookForm({ api, boards, onCreated }: { api: Api; boards: Board[]; onCreated: (c: CreatedWebhook) => void }) {
  const [url, setUrl] = useState('')
  const [boardId, setBoardId] = useState<string>('')
  const [events, setEvents] = useState<WebhookEvent[]>([...WEBHOOK_EVENTS])
  const { busy, error, setError, run } = useAction({ staysBusy: false })
  const submit = (e: { preventDefault(): void }) => {
    e.preventDefault()
    if (events.length === 0) return setError('Pick at least one event.')
    void run(async () => {
      onCreated(await api.request<CreatedWebhook>('POST', baseOf(boardId || null), { url: url.trim(), events }))
      setUrl('')
    })
  }
  return (
    <form className="stack" onSubmit={submit} data-testid="webhook-form">
      <h2>New webhook</h2>
      <div className="row wrap">
        <label style={{ flex: 1 }}>
          URL
          <input required type="url" maxLength={2000} value={url} placeholder="https://example.com/drawbridge" onChange={(e) => setUrl((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Boards
          <select value={boardId} onChange={(e) => setBoardId((e.target as HTMLSelectElement).value)}>
            <option value="">All my boards</option>
            {boards
              .filter((b) => b.myRole === 'owner')
              .map((b) => (
                <option key={b.id} value={b.id}>
                  {b.title}
                </option>
              ))}
          </select>
        </label>
      </div>
      <Checkboxes legend="Events" className="row wrap" options={EVENT_OPTIONS} picked={events} onChange={setEvents} />
      <ErrorLine error={error} />
      <SubmitRow busy={busy} label="Create webhook" />
    </form>
  )
}

function Deliveries({ api, webhook }: { api: Api; webhook: Webhook }) {
  const [list, setList] = useState<WebhookDelivery[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = () =>
    api.request<{ deliveries: WebhookDelivery[] }>('GET', `${oneOf(webhook)}/deliveries`).then(
      (r) => setList(r.deliveries),
      (e: unknown) => setError(errorText(e)),
    )
  useEffect(() => void load(), [webhook.id])
  if (error) return <p className="error">{error}</p>
  if (list === null) return <p className="muted small">Loading…</p>
  return (
    <div className="stack" data-testid="webhook-deliveries">
      <button type="button" className="button button-ghost" onClick={() => void load()}>
        Refresh
      </button>
      {list.length === 0 ? <p className="muted small">Nothing sent yet.</p> : null}
      {list.map((d) => (
        <details key={d.id}>
          <summary className="small">
            <code>{d.event}</code> · {d.status} · {formatDate(d.createdAt)} · {d.attempts.length} attempt{d.attempts.length === 1 ? '' : 's'}
            {d.nextAttemptAt ? ` · next ${formatDate(d.nextAttemptAt)}` : ''}
          </summary>
          <ul className="small">
            {d.attempts.map((a, i) => (
              <li key={i}>
                {formatDate(a.at)} · {a.statusCode ?? 'no answer'} · {a.durationMs} ms{a.error ? ` · ${a.error}` : ''}
                {a.body ? <pre style={{ whiteSpace: 'pre-wrap', maxHeight: '8em', overflow: 'auto' }}>{a.body}</pre> : null}
              </li>
            ))}
          </ul>
        </details>
      ))}
    </div>
  )
}

export function WebhooksPage() {
  const user = session.user()
  const [hooks, setHooks] = useState<Webhook[] | null>(null)
  const [boards, setBoards] = useState<Board[]>([])
  const [created, setCreated] = useState<CreatedWebhook | null>(null)
  const [open, setOpen] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const api = user ? apiFor(user.token) : null

  useEffect(() => {
    if (!api) return
    api
      .listBoards()
      .then(async (b) => {
        setBoards(b)
        setHooks(await listAll(api, b))
      })
      .catch((e: unknown) => {
        setError(errorText(e))
        if ((e as { status?: number }).status === 401) session.setUser(null)
      })
  }, [user?.token])

  if (!user || !api) return <SignInFirst title="Webhooks" what="webhooks" />
  const act = async (what: () => Promise<void>) => {
    setError(null)
    try {
      await what()
    } catch (err) {
      setError(errorText(err))
    }
  }
  const titleOf = (id: string | null) => (id === null ? 'all my boards' : (boards.find((b) => b.id === id)?.title ?? id))
  const replace = (w: Webhook) => setHooks((list) => (list ?? []).map((x) => (x.id === w.id ? w : x)))

  return (
    <main className="page">
      <header className="page-header">
        <h1>Webhooks</h1>
        <a className="button button-ghost" href="/" onClick={linkHandler('/')}>
          My boards
        </a>
      </header>
      <p className="muted">
        Drawbridge POSTs signed events (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>) to your URL
        when guests knock, join or leave, roles change, comments arrive and boards are claimed, expire, are deleted or restored. Webhooks are part of the
        pro plan.
      </p>
      {created ? (
        <section className="stack" role="status" data-testid="webhook-secret">
          <h2>Webhook created</h2>
          <p>Copy the signing secret now: it is shown only this once.</p>
          <input readOnly value={created.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} style={{ fontFamily: 'monospace' }} />
          <button type="button" className="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </section>
      ) : user.user.plan === 'pro' ? (
        <NewWebhookForm
          api={api}
          boards={boards}
          onCreated={(c) => {
            setCreated(c)
            setHooks((list) => [...(list ?? []), c.webhook])
          }}
        />
      ) : (
        <p className="muted">Your plan does not include webhooks.</p>
      )}
      <ErrorLine error={error} />
      <h2>Your webhooks</h2>
      {hooks === null ? (
        <p className="muted">Loading…</p>
      ) : hooks.length === 0 ? (
        <p className="muted">No webhooks yet.</p>
      ) : (
        <ul className="stack" data-testid="webhook-list" style={{ listStyle: 'none', padding: 0 }}>
          {hooks.map((w) => (
            <li key={w.id} className="stack board-card">
              <span className="row">
                <span className="stack" style={{ flex: 1 }}>
                  <strong style={{ wordBreak: 'break-all' }}>{w.url}</strong>
                  <span className="muted small">
                    {titleOf(w.boardId)} · {w.enabled ? 'on' : 'off'} · {w.events.length === WEBHOOK_EVENTS.length ? 'every event' : w.events.join(', ')} · created{' '}
                    {formatDate(w.createdAt)}
                  </span>
                </span>
                <button
                  type="button"
                  className="button"
                  onClick={() => void act(async () => replace((await api.request<{ webhook: Webhook }>('PATCH', oneOf(w), { enabled: !w.enabled })).webhook))}
                >
                  {w.enabled ? 'Turn off' : 'Turn on'}
                </button>
                <button type="button" className="button" disabled={!w.enabled} onClick={() => void act(async () => void (await api.request('POST', `${oneOf(w)}/test`)))}>
                  Send test
                </button>
                <button type="button" className="button button-ghost" onClick={() => setOpen(open === w.id ? null : w.id)}>
                  {open === w.id ? 'Hide log' : 'Delivery log'}
                </button>
                <button
                  type="button"
                  className="button button-danger"
                  onClick={() =>
                    void act(async () => {
                      if (!confirm(`Delete the webhook to ${w.url}?`)) return
                      await api.request('DELETE', oneOf(w))
                      setHooks((list) => (list ?? []).filter((x) => x.id !== w.id))
                    })
                  }
                >
                  Delete
                </button>
              </span>
              {open === w.id ? <Deliveries api={api} webhook={w} /> : null}
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
