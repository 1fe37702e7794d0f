// The session menu's private notes (facilitators): private mode on or off,
// and "Reveal notes", which puts everyone's notes on the board at once.
import { useEffect, useState } from 'react'

interface Props {
  on: boolean
  /** Our own notes and others', still hidden. */
  hidden: number
  setMode: (on: boolean) => Promise<void>
  reveal: () => Promise<void>
}

export function NotesMenu({ on, hidden, setMode, reveal }: Props) {
  const [busy, setBusy] = useState(false)
  // What was asked for, shown until the board says so (board:updated follows the answer).
  const [asked, setAsked] = useState<boolean | null>(null)
  useEffect(() => setAsked(null), [on])
  const act = (f: () => Promise<void>) => () => {
    setBusy(true)
    void f()
      .catch(() => {})
      .finally(() => setBusy(false))
  }
  return (
    <section className="stack" data-testid="notes-menu">
      <strong>Private notes</strong>
      <span className="muted small">While on, what people add stays on their own screen until you reveal it: no one copies anyone.</span>
      <label className="check">
        <input
          type="checkbox"
          checked={asked ?? on}
          disabled={busy}
          onChange={(e) => {
            const want = (e.target as HTMLInputElement).checked
            setAsked(want)
            act(() => setMode(want).catch((err: unknown) => (setAsked(null), Promise.reject(err))))()
          }}
        />
        Private mode
      </label>
      <button type="button" className="button button-primary" disabled={busy || (!on && hidden === 0)} onClick={act(reveal)}>
        Reveal notes{hidden ? ` (${hidden})` : ''}
      </button>
    </section>
  )
}
