// The History side panel: save a named version, the versions newest first
// (when, what made it, who saved it, who changed what since the one before,
// guests marked), a click previews one; from a contributor, "Undo their
// changes" (which also reaches people who have left or were removed). The
// owner decides here whether member editors may restore.
import { useState } from 'react'
import type { HistoryPerson, Version } from '../../../../../shared/history.js'
import { errorText } from '../../lib/api.js'
import { formatDate } from '../../lib/format.js'
import type { HistoryState } from './use-history.js'
import { contributionText, timeAgo, versionLabel, versionTime } from './labels.js'
import { PersonName } from './person-name.js'

interface Props {
  history: HistoryState
  me: { kind: string; id: string } | null
  selectedId: string | null
  onSelect: (versionId: string | null) => void
  /** Set for those who may save named versions. */
  onSave?: (name: string) => Promise<void>
  /** Set for those who may revert people. */
  onRevert?: (person: HistoryPerson) => void
  /** Set for the owner: whether member editors may restore and revert too. */
  editorsMayRestore?: { value: boolean; set: (on: boolean) => Promise<void> }
  onClose: () => void
}

function SaveVersion({ onSave }: { onSave: (name: string) => Promise<void> }) {
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const save = async () => {
    const trimmed = name.trim()
    if (!trimmed || busy) return
    setBusy(true)
    setError(null)
    try {
      await onSave(trimmed)
      setName('')
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <div className="row">
        <input
          aria-label="Version name"
          placeholder="Name this version…"
          maxLength={80}
          value={name}
          disabled={busy}
          className="grow"
          onChange={(e) => setName((e.target as HTMLInputElement).value)}
          // Keys typed here are the name, never canvas shortcuts.
          onKeyDown={(e) => e.stopPropagation()}
        />
        <button type="submit" className="button" disabled={busy || !name.trim()}>
          Save version
        </button>
      </div>
      {error ? <p className="error small">{error}</p> : null}
    </form>
  )
}

function VersionItem({ v, selected, me, onSelect, onRevert }: { v: Version; selected: boolean; me: Props['me']; onSelect: () => void; onRevert?: (p: HistoryPerson) => void }) {
  return (
    <li className={`version${selected ? ' version-selected' : ''}`} data-testid="version">
      <button type="button" className="version-button" aria-pressed={selected} onClick={onSelect} title={versionTime(v.createdAt)}>
        <span className="version-title">{versionLabel(v)}</span>
        <span className="muted small">
          {timeAgo(v.createdAt)}
          {v.createdBy ? (
            <>
              {' · by '}
              <PersonName person={v.createdBy} me={me} />
            </>
          ) : null}
        </span>
      </button>
      {v.contributors.length ? (
        <ul className="contributors" aria-label="Changes since the version before">
          {v.contributors.map((c) => (
            <li key={`${c.kind}:${c.id}`} className="contributor">
              <span className="contributor-text">
                <PersonName person={c} me={me} /> <span className="muted small">{contributionText(c)}</span>
              </span>
              {onRevert && !(me && c.kind === me.kind && c.id === me.id) ? (
                <button type="button" className="link-button small" aria-label={`Undo ${c.name}’s changes`} onClick={() => onRevert(c)}>
                  Undo…
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  )
}

export function HistoryPanel({ history, me, selectedId, onSelect, onSave, onRevert, editorsMayRestore, onClose }: Props) {
  const [settingBusy, setSettingBusy] = useState(false)
  const versions = history.list?.versions ?? []
  return (
    <aside className="panel history-panel" aria-label="History" data-testid="history-panel">
      <div className="panel-head">
        <h2>History</h2>
        <button type="button" className="icon-button" aria-label="Close history" onClick={onClose}>
          ×
        </button>
      </div>
      {onSave ? <SaveVersion onSave={onSave} /> : null}
      {history.error ? <p className="error small">{history.error}</p> : null}
      {!history.list && !history.error ? <p className="muted small">Loading versions…</p> : null}
      {history.list && versions.length === 0 ? <p className="muted small">No versions yet. The board saves one by itself after a burst of edits.</p> : null}
      <ul className="versions" data-testid="versions">
        {versions.map((v) => (
          <VersionItem key={v.id} v={v} selected={v.id === selectedId} me={me} onSelect={() => onSelect(v.id === selectedId ? null : v.id)} onRevert={onRevert} />
        ))}
      </ul>
      {history.list ? (
        <p className="muted small">
          History is kept for {history.list.retentionDays} days and reaches back to {formatDate(history.list.since)}. Hover over something on the board to see who made it.
        </p>
      ) : null}
      {editorsMayRestore ? (
        <label className="check small">
          <input
            type="checkbox"
            checked={editorsMayRestore.value}
            disabled={settingBusy}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked
              setSettingBusy(true)
              editorsMayRestore.set(on).finally(() => setSettingBusy(false)).catch(() => {})
            }}
          />
          Editors may restore versions and undo people’s changes
        </label>
      ) : null}
    </aside>
  )
}
