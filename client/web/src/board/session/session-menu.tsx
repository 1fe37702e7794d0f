// The header's session control. Everyone sees the shared countdown; those
// who may run the session (owners and editors, guest editors too) open a
// menu from it: start a timer (1, 3, 5 or 10 minutes), pause, resume, stop;
// "Bring everyone to me", with presenter mode (readers stay on our view
// until we release them) and Release; then the dot vote and private notes.
import { type ReactNode, useEffect, useRef, useState } from 'react'
import type { Summon } from '../../../../../shared/session.js'
import type { TimerCommand } from '../../../../sdk/index.js'
import { TimerChip, useTimerReading } from './session-timer.js'
import type { TimerView } from './use-session-controls.js'

const DURATIONS = [1, 3, 5, 10]

interface Props {
  timer: TimerView | null
  /** Set for those who may run the session. */
  facilitate?: {
    summon: Summon | null
    /** Whether the summon in force is ours. */
    summonIsMine: boolean
    setTimer(command: TimerCommand): Promise<void>
    bringEveryone(hold: boolean): Promise<void>
    release(): Promise<void>
  }
  /** More of the menu for facilitators: the dot vote, private notes. */
  extra?: ReactNode
}

export function SessionMenu({ timer, facilitate, extra }: Props) {
  const reading = useTimerReading(timer)
  const [open, setOpen] = useState(false)
  const [hold, setHold] = useState(false)
  const [busy, setBusy] = useState(false)
  const wrap = useRef<HTMLDivElement>(null)

  // A press anywhere else closes the menu.
  useEffect(() => {
    if (!open) return
    const onDown = (e: PointerEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('pointerdown', onDown, true)
    return () => document.removeEventListener('pointerdown', onDown, true)
  }, [open])
  // Losing the right to run the session closes it.
  useEffect(() => {
    if (!facilitate) setOpen(false)
  }, [!facilitate])

  if (!facilitate) return <TimerChip reading={reading} />
  const f = facilitate
  /** Failures are told by the page (a toast); the menu just stops being busy. */
  const act = (action: () => Promise<void>, close = false) => async () => {
    setBusy(true)
    try {
      await action()
      if (close) setOpen(false)
    } catch {
      // Said in a toast already.
    } finally {
      setBusy(false)
    }
  }
  const startButtons = (
    <div className="row wrap timer-durations" role="group" aria-label="Start a timer">
      {DURATIONS.map((m) => (
        <button key={m} type="button" className="button" disabled={busy} aria-label={`Start a ${m} minute timer`} onClick={() => void act(() => f.setTimer({ action: 'start', durationMs: m * 60_000 }))()}>
          {m} min
        </button>
      ))}
    </div>
  )
  return (
    <div className="menu-wrap" ref={wrap}>
      <TimerChip reading={reading} onMenu={() => setOpen(!open)} menuOpen={open} />
      {open ? (
        <div className="menu session-menu" role="region" aria-label="Session" data-testid="session-menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <section className="stack">
            <strong>Timer{reading.state === 'stopped' ? '' : `: ${reading.text}`}</strong>
            {reading.state === 'running' ? (
              <div className="row">
                <button type="button" className="button" disabled={busy} onClick={() => void act(() => f.setTimer({ action: 'pause' }))()}>
                  Pause
                </button>
                <button type="button" className="button" disabled={busy} onClick={() => void act(() => f.setTimer({ action: 'stop' }))()}>
                  Stop
                </button>
              </div>
            ) : reading.state === 'paused' ? (
              <div className="row">
                <button type="button" className="button button-primary" disabled={busy} onClick={() => void act(() => f.setTimer({ action: 'resume' }))()}>
                  Resume
                </button>
                <button type="button" className="button" disabled={busy} onClick={() => void act(() => f.setTimer({ action: 'stop' }))()}>
                  Stop
                </button>
              </div>
            ) : (
              <>
                {reading.state === 'up' ? (
                  <div className="row">
                    <button type="button" className="button" disabled={busy} onClick={() => void act(() => f.setTimer({ action: 'stop' }))()}>
                      Clear
                    </button>
                    <span className="muted small">or start another:</span>
                  </div>
                ) : (
                  <span className="muted small">Everyone on the board sees the countdown.</span>
                )}
                {startButtons}
              </>
            )}
          </section>
          <hr />
          <section className="stack">
            <strong>Bring everyone to me</strong>
            <span className="muted small">Moves everyone’s view to what you see now. They can look around again unless presenter mode keeps readers with you.</span>
            <label className="check">
              <input type="checkbox" checked={hold} onChange={(e) => setHold((e.target as HTMLInputElement).checked)} />
              Presenter mode: readers stay on my view
            </label>
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void act(() => f.bringEveryone(hold), true)()}>
              Bring everyone to me
            </button>
            {f.summon ? (
              <div className="row wrap">
                <span className="muted small grow">
                  {f.summonIsMine ? 'Everyone was brought to your view' : `Everyone was brought to ${f.summon.by.name}’s view`}
                  {f.summon.hold ? ' (presenter mode).' : '.'}
                </span>
                <button type="button" className="button" disabled={busy} onClick={() => void act(() => f.release())()}>
                  Release
                </button>
              </div>
            ) : null}
          </section>
          {extra}
        </div>
      ) : null}
    </div>
  )
}
