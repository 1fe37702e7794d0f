// A modal dialog that keyboard users can live in: focus moves in, Tab stays
// inside, Escape closes, and focus returns to where it came from.
import type { ReactNode } from 'react'
import { type KeyboardEvent as ReactKeyboardEvent, useEffect, useRef } from 'react'

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

let seq = 0

export function Dialog({ title, onClose, children, wide = false }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null)
  const id = useRef(`dialog-${++seq}`)
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null
    const first = ref.current?.querySelector<HTMLElement>('[autofocus]') ?? ref.current?.querySelector<HTMLElement>(`${FOCUSABLE.split(', ').map((f) => f + ':not(.sentinel)').join(', ')}`)
    first?.focus()
    return () => previous?.focus?.()
  }, [])
  const onKeyDown = (e: ReactKeyboardEvent) => {
    e.stopPropagation()
    if (e.key === 'Escape') {
      e.preventDefault()
      onClose()
    }
  }
  // Sentinels at both ends send Tab back around: robust even where the
  // browser skips elements (unchecked radios of a group, hidden inputs).
  const focusables = () => [...(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter((el) => !el.classList.contains('sentinel'))
  const wrapTo = (end: 'first' | 'last') => () => {
    const items = focusables()
    const target = end === 'first' ? items[0] : items[items.length - 1]
    if (target instanceof HTMLInputElement && target.type === 'radio' && !target.checked) {
      ref.current?.querySelector<HTMLInputElement>(`input[type="radio"][name="${target.name}"]:checked`)?.focus()
    } else target?.focus()
  }
  return (
    <div className="backdrop" onPointerDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className={`dialog${wide ? ' dialog-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={id.current} onKeyDown={onKeyDown}>
        <span className="sentinel" tabIndex={0} onFocus={wrapTo('last')} />
        <div className="dialog-head">
          <h2 id={id.current}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        {children}
        <span className="sentinel" tabIndex={0} onFocus={wrapTo('first')} />
      </div>
    </div>
  )
}
