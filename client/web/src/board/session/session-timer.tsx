// The shared timer in the header: everyone on the board sees the countdown
// ("Time's up" at zero), counted down locally against the server's clock.
// Those who may run the session press it for the session menu (timer
// controls, "bring everyone to me"); they see a stopwatch while it is off.
import { useEffect, useState } from 'react'
import { Icon } from '../../ui/icon.js'
import { formatClock, timerLeft, type TimerView } from './use-session-controls.js'

export const STOPWATCH = 'M12 21a8 8 0 100-16 8 8 0 000 16zM12 9v4l2.5 2.5M10 2h4M12 2v3'

/** Re-renders every quarter second while `on`. */
function useTicking(on: boolean): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    if (!on) return
    setNow(Date.now())
    const t = window.setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(t)
  }, [on])
  return now
}

export interface TimerReading {
  /** Null: stopped (nothing to show). */
  left: number | null
  state: 'running' | 'paused' | 'stopped' | 'up'
  text: string
}

export function useTimerReading(view: TimerView | null): TimerReading {
  const running = view?.timer.state === 'running'
  const now = useTicking(running)
  const left = timerLeft(view, now)
  if (left === null || !view) return { left: null, state: 'stopped', text: '' }
  if (running && left <= 0) return { left: 0, state: 'up', text: 'Time’s up' }
  return { left, state: view.timer.state, text: formatClock(left) }
}

interface Props {
  reading: TimerReading
  /** Set for those who may run the session: the chip is the session menu's button. */
  onMenu?: () => void
  menuOpen?: boolean
}

export function TimerChip({ reading, onMenu, menuOpen }: Props) {
  const label =
    reading.state === 'up'
      ? 'Timer: time’s up'
      : reading.state === 'paused'
        ? `Timer paused, ${reading.text} left`
        : reading.state === 'running'
          ? `Timer, ${reading.text} left`
          : 'Timer off'
  const face =
    reading.state === 'stopped' ? (
      <Icon d={STOPWATCH} />
    ) : (
      <>
        {reading.state === 'paused' ? <Icon d="M9 6v12M15 6v12" size={14} /> : null}
        <span className="timer-text" data-testid="timer-text">
          {reading.text}
        </span>
      </>
    )
  const className = `timer-chip timer-${reading.state}`
  if (onMenu) {
    return (
      <button
        type="button"
        className={`${className} icon-button`}
        aria-label={`${label}. Session: timer, bring everyone to me`}
        title="Session: timer, bring everyone to me"
        aria-expanded={menuOpen ?? false}
        onClick={onMenu}
        data-testid="session-button"
      >
        {face}
      </button>
    )
  }
  if (reading.state === 'stopped') return null
  return (
    <span className={className} role="timer" aria-label={label} data-testid="session-timer">
      {face}
    </span>
  )
}
