// "Undo this person's changes": choose since when (since they joined, the
// start of history, a version's time or any time), see what it would do
// (a dry run: elements removed, brought back, reset), then do it. Reached
// from the people panel and from a version's contributors, so people who
// have left or were removed can be undone too.
import { useEffect, useState } from 'react'
import type { HistoryPerson, RevertPlan, RevertResult, Version } from '../../../../../shared/history.js'
import type { ApiClient } from '../../../../sdk/index.js'
import { errorText } from '../../lib/api.js'
import { Dialog } from '../../ui/dialog.js'
import { samePerson, versionLabel, versionTime } from './labels.js'
import { PersonName } from './person-name.js'

export type RevertTarget = Pick<HistoryPerson, 'kind' | 'id' | 'name' | 'guest'>

interface Props {
  api: ApiClient
  boardId: string
  person: RevertTarget
  onDone: (result: RevertResult) => void
  onClose: () => void
}

type Since = 'joined' | 'start' | 'version' | 'time'

const ACTIVITY_PAGES = 5

/** When the person first joined the board, from the activity log (newest first), if it says. */
async function firstJoined(api: ApiClient, boardId: string, person: RevertTarget): Promise<string | null> {
  let cursor: string | undefined
  let found: string | null = null
  for (let page = 0; page < ACTIVITY_PAGES; page++) {
    const res = await api.activity(boardId, { limit: 100, ...(cursor ? { cursor } : {}) })
    for (const e of res.activity) if (e.type === 'participant.joined' && e.actor && samePerson(e.actor, person)) found = e.createdAt
    if (!res.nextCursor) break
    cursor = res.nextCursor
  }
  return found
}

/** A `datetime-local` value for an ISO time, in local time. */
function localInput(iso: string): string {
  const d = new Date(iso)
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
}

function planText(plan: RevertPlan): string {
  const n = (k: number) => `${k} ${k === 1 ? 'element' : 'elements'}`
  return `${n(plan.removed.length)} removed, ${n(plan.recreated.length)} brought back, ${n(plan.reset.length)} reset`
}

export function RevertDialog({ api, boardId, person, onDone, onClose }: Props) {
  const [versions, setVersions] = useState<Version[]>([])
  const [joinedAt, setJoinedAt] = useState<string | null>(null)
  const [since, setSince] = useState<Since>('start')
  const [versionId, setVersionId] = useState('')
  const [time, setTime] = useState(() => localInput(new Date(Date.now() - 3_600_000).toISOString()))
  const [plan, setPlan] = useState<RevertPlan | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let cancelled = false
    api.listVersions(boardId).then(
      (l) => {
        if (cancelled) return
        setVersions(l.versions)
        setVersionId((cur) => cur || l.versions[0]?.id || '')
      },
      () => {},
    )
    firstJoined(api, boardId, person).then(
      (at) => {
        if (cancelled || !at) return
        setJoinedAt(at)
        // The default: everything they did since they first came.
        setSince((cur) => (cur === 'start' ? 'joined' : cur))
      },
      () => {},
    )
    return () => {
      cancelled = true
    }
  }, [boardId, person.kind, person.id])

  // Another choice means another plan.
  useEffect(() => setPlan(null), [since, versionId, time])

  const sinceIso = (): string | undefined | null => {
    switch (since) {
      case 'joined':
        return joinedAt ?? undefined
      case 'version':
        return versions.find((v) => v.id === versionId)?.createdAt ?? null
      case 'time': {
        const t = new Date(time)
        return Number.isNaN(t.getTime()) ? null : t.toISOString()
      }
      default:
        return undefined
    }
  }

  const run = async (dryRun: boolean) => {
    const at = sinceIso()
    if (at === null) return setError('Choose a time.')
    setBusy(true)
    setError(null)
    try {
      const result = await api.revertPerson(boardId, { person: { kind: person.kind, id: person.id }, ...(at ? { since: at } : {}), dryRun })
      if (dryRun) setPlan(result)
      else onDone(result)
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  const nothing = plan && plan.removed.length + plan.recreated.length + plan.reset.length === 0
  return (
    <Dialog title="Undo someone’s changes" onClose={onClose}>
      <p>
        Undo what <PersonName person={person} /> did on this board: what they added is removed, what they deleted comes back, and what they changed goes back to how it was. Changes by others stay.
      </p>
      <fieldset className="radios">
        <legend className="small muted">Undo their changes made</legend>
        {joinedAt ? (
          <label>
            <input type="radio" name="since" checked={since === 'joined'} onChange={() => setSince('joined')} />
            since they joined ({versionTime(joinedAt)})
          </label>
        ) : null}
        <label>
          <input type="radio" name="since" checked={since === 'start'} onChange={() => setSince('start')} />
          at any time (since the start of the history)
        </label>
        {versions.length ? (
          <label>
            <input type="radio" name="since" checked={since === 'version'} onChange={() => setSince('version')} />
            since a version:
            <select aria-label="Since the version" value={versionId} disabled={since !== 'version'} onChange={(e) => setVersionId((e.target as HTMLSelectElement).value)}>
              {versions.map((v) => (
                <option key={v.id} value={v.id}>
                  {versionTime(v.createdAt)}, {versionLabel(v)}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          <input type="radio" name="since" checked={since === 'time'} onChange={() => setSince('time')} />
          since
          <input type="datetime-local" aria-label="Since the time" value={time} disabled={since !== 'time'} onChange={(e) => setTime((e.target as HTMLInputElement).value)} />
        </label>
      </fieldset>
      {plan ? (
        <section className="notice" data-testid="revert-plan" aria-live="polite">
          {nothing ? (
            <p>Nothing to undo: they changed nothing on the board in that time.</p>
          ) : (
            <p>
              <strong>{planText(plan)}.</strong> A version of the board as it is now is saved first.
            </p>
          )}
        </section>
      ) : null}
      {error ? <p className="error">{error}</p> : null}
      <div className="row" style={{ justifyContent: 'flex-end', marginTop: '1rem' }}>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        {plan && !nothing ? (
          <button type="button" className="button button-primary" disabled={busy} onClick={() => void run(false)}>
            {busy ? 'Undoing…' : 'Undo their changes'}
          </button>
        ) : (
          <button type="button" className="button button-primary" disabled={busy || !!nothing} onClick={() => void run(true)}>
            {busy ? 'Checking…' : 'Preview'}
          </button>
        )}
      </div>
    </Dialog>
  )
}
