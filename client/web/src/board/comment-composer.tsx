// A comment box with @-mention autocomplete of board members. The textarea
// shows "@Name"; the mention markup the server expects is written on send.
import { type ChangeEvent, type KeyboardEvent as ReactKeyboardEvent, useEffect, useRef, useState } from 'react'
import { COMMENT_BODY_MAX } from '../../../../shared/constants.js'
import type { Participant } from '../../../../shared/types.js'
import { mentionText } from '../../../sdk/index.js'

interface Props {
  label: string
  placeholder: string
  /** Members that may be mentioned; empty (guests) turns autocomplete off. */
  members: Participant[]
  onSubmit: (body: string) => Promise<void>
  autoFocus?: boolean
  /** With autoFocus: focus again whenever this changes (the comment pin moved). */
  focusKey?: unknown
  submitLabel?: string
}

export function CommentComposer({ label, placeholder, members, onSubmit, autoFocus, focusKey, submitLabel = 'Send' }: Props) {
  const [text, setText] = useState('')
  const [query, setQuery] = useState<string | null>(null)
  const [active, setActive] = useState(0)
  const [busy, setBusy] = useState(false)
  const chosen = useRef(new Map<string, string>())
  const ref = useRef<HTMLTextAreaElement>(null)
  // Whatever was clicked to open the box (a tool, the canvas) must not keep the focus: typing goes here.
  useEffect(() => {
    if (autoFocus) ref.current?.focus()
  }, [autoFocus, focusKey])

  const matches = query === null ? [] : members.filter((m) => m.name.toLowerCase().includes(query.toLowerCase())).slice(0, 6)

  const onInput = (e: ChangeEvent<HTMLTextAreaElement>) => {
    const el = e.target as HTMLTextAreaElement
    setText(el.value)
    const before = el.value.slice(0, el.selectionStart ?? el.value.length)
    const m = members.length > 0 ? /(?:^|\s)@([^\s@]{0,30})$/.exec(before) : null
    setQuery(m ? m[1]! : null)
    setActive(0)
  }

  const pick = (p: Participant) => {
    const el = ref.current!
    const caret = el.selectionStart ?? text.length
    const before = text.slice(0, caret).replace(/@([^\s@]{0,30})$/, `@${p.name} `)
    const next = before + text.slice(caret)
    chosen.current.set(p.name, p.id)
    setText(next)
    setQuery(null)
    requestAnimationFrame(() => {
      el.focus()
      el.setSelectionRange(before.length, before.length)
    })
  }

  const submit = async () => {
    const trimmed = text.trim()
    if (!trimmed || busy) return
    let body = trimmed
    // Longest names first, so "@Ann Lee" is not taken for "@Ann".
    for (const [name, id] of [...chosen.current].sort((a, b) => b[0].length - a[0].length)) {
      body = body.split(`@${name}`).join(mentionText(name, id))
    }
    setBusy(true)
    try {
      await onSubmit(body)
      setText('')
      chosen.current.clear()
    } finally {
      setBusy(false)
    }
  }

  const onKeyDown = (e: ReactKeyboardEvent) => {
    e.stopPropagation()
    if (matches.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : -1) + matches.length) % matches.length)
        return
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault()
        pick(matches[active]!)
        return
      }
      if (e.key === 'Escape') {
        e.preventDefault()
        setQuery(null)
        return
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      void submit()
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <label className="sr-only" htmlFor={`composer-${label}`}>
        {label}
      </label>
      <textarea
        id={`composer-${label}`}
        ref={ref}
        rows={2}
        value={text}
        maxLength={COMMENT_BODY_MAX}
        placeholder={placeholder}
        autoFocus={autoFocus}
        onChange={onInput}
        onKeyDown={onKeyDown}
        role="combobox"
        aria-expanded={matches.length > 0}
        aria-autocomplete="list"
        aria-controls={`mentions-${label}`}
      />
      {matches.length > 0 ? (
        <ul className="mentions" role="listbox" id={`mentions-${label}`} aria-label="Mention a member">
          {matches.map((m, i) => (
            <li
              key={m.id}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onPointerDown={(e) => {
                e.preventDefault()
                pick(m)
              }}
            >
              {m.name}
            </li>
          ))}
        </ul>
      ) : null}
      <button type="submit" className="button button-primary" disabled={busy || !text.trim()}>
        {submitLabel}
      </button>
    </form>
  )
}
