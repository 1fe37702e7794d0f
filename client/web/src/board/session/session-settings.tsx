// The share dialog's session part: how many people at once get their own
// role (owner; others join as readers), who is banned (with Lift), and
// "End guest session" (every guest out, every link revoked), asked first.
import { useEffect, useState } from 'react'
import type { Ban } from '../../../../../shared/session.js'
import type { Board } from '../../../../../shared/types.js'
import type { ApiClient } from '../../../../sdk/index.js'
import { formatDate } from '../../lib/format.js'
import type { Abilities } from '../abilities.js'

const CAPACITY_MAX = 10_000

interface Props {
  api: ApiClient
  board: Board
  abilities: Abilities
  onBoard: (b: Board) => void
  /** Runs an action and shows its failure in the dialog. */
  run: (action: () => Promise<unknown>) => Promise<void>
  /** After "End guest session": links and people changed. */
  onGuestsEnded: () => void
  /** Changes when the people on the board change (a ban elsewhere): the banned list is read again. */
  peopleKey: string
}

function Capacity({ api, board, onBoard, run }: Pick<Props, 'api' | 'board' | 'onBoard' | 'run'>) {
  const [draft, setDraft] = useState(board.capacity === null ? '' : String(board.capacity))
  useEffect(() => setDraft(board.capacity === null ? '' : String(board.capacity)), [board.capacity])
  const value = draft.trim() === '' ? null : Number(draft)
  const valid = value === null || (Number.isInteger(value) && value >= 1 && value <= CAPACITY_MAX)
  const changed = value !== board.capacity
  const save = () => run(async () => onBoard(await api.updateBoard(board.id, { capacity: value })))
  return (
    <section>
      <h3>People at once</h3>
      <form
        className="row wrap"
        onSubmit={(e) => {
          e.preventDefault()
          if (valid && changed) void save()
        }}
      >
        <label>
          People at once (others join as readers)
          <input type="number" min={1} max={CAPACITY_MAX} inputMode="numeric" placeholder="Server default" value={draft} onChange={(e) => setDraft((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" className="button" disabled={!valid || !changed}>
          Save
        </button>
      </form>
      {valid ? (
        <p className="muted small">
          {value === null ? 'Empty: the server’s default limit.' : `Once ${value} ${value === 1 ? 'person is' : 'people are'} on the board, newcomers join as readers. You always get in.`}
        </p>
      ) : (
        <p className="error small">A whole number from 1 to {CAPACITY_MAX}, or empty.</p>
      )}
    </section>
  )
}

function Bans({ api, board, run, peopleKey }: Pick<Props, 'api' | 'board' | 'run' | 'peopleKey'>) {
  const [bans, setBans] = useState<Ban[] | null>(null)
  const load = () => api.listBans(board.id).then(setBans, () => setBans([]))
  useEffect(() => {
    void load()
  }, [board.id, peopleKey])
  return (
    <section>
      <h3>Banned</h3>
      {bans === null ? (
        <p className="muted small">Loading…</p>
      ) : bans.length === 0 ? (
        <p className="muted small">Nobody is banned.</p>
      ) : (
        <ul className="people" data-testid="bans">
          {bans.map((b) => (
            <li key={b.id} className="person row">
              <span className="person-name">
                {b.name}
                {b.kind === 'guest' ? <span className="badge badge-guest">GUEST</span> : null}
              </span>
              <span className="muted small">since {formatDate(b.createdAt)}</span>
              <button type="button" className="button" aria-label={`Lift the ban on ${b.name}`} onClick={() => void run(async () => (await api.unban(board.id, b.id), await load()))}>
                Lift
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function EndGuests({ api, board, run, onGuestsEnded }: Pick<Props, 'api' | 'board' | 'run' | 'onGuestsEnded'>) {
  const [confirming, setConfirming] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const end = () =>
    run(async () => {
      const r = await api.endGuestSession(board.id)
      setConfirming(false)
      setDone(`${r.guests} ${r.guests === 1 ? 'guest' : 'guests'} removed, ${r.links} ${r.links === 1 ? 'link' : 'links'} revoked.`)
      onGuestsEnded()
    })
  return (
    <section>
      <h3>End guest session</h3>
      {confirming ? (
        <div className="notice stack" role="alertdialog" aria-label="End the guest session?">
          <span>Every guest is removed and disconnected now, and every invite link stops working. Members stay.</span>
          <div className="row wrap">
            <button type="button" className="button button-danger" onClick={() => void end()}>
              End guest session
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <>
          <p className="muted small">When the workshop is over: every guest out and every link revoked, at once.</p>
          <button type="button" className="button button-danger" onClick={() => (setDone(null), setConfirming(true))}>
            End guest session…
          </button>
        </>
      )}
      {done ? (
        <p className="notice" role="status" data-testid="guests-ended">
          {done}
        </p>
      ) : null}
    </section>
  )
}

export function SessionSettings({ api, board, abilities, onBoard, run, onGuestsEnded, peopleKey }: Props) {
  return (
    <>
      {abilities.setCapacity ? <Capacity api={api} board={board} onBoard={onBoard} run={run} /> : null}
      {abilities.kick ? <Bans api={api} board={board} run={run} peopleKey={peopleKey} /> : null}
      {abilities.endGuests ? <EndGuests api={api} board={board} run={run} onGuestsEnded={onGuestsEnded} /> : null}
    </>
  )
}
