// Pieces the settings forms (API keys, webhooks) share: a list of
// checkboxes, the error line, the submit row, and the card that asks to sign
// in first.
import type { ReactNode } from 'react'
import { linkHandler } from '../lib/router.js'
import { CenterCard } from './screens.js'

export function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null
}

export function SubmitRow({ busy, label }: { busy: boolean; label: string }) {
  return (
    <div className="row">
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Creating…' : label}
      </button>
    </div>
  )
}

/** One checkbox per option; `onChange` gets the values picked after the click, in the order they were picked. */
export function Checkboxes<T extends string>({
  legend,
  className,
  options,
  picked,
  onChange,
  children,
}: {
  legend: string
  className: string
  options: readonly { value: T; label: ReactNode }[]
  picked: readonly T[]
  onChange: (picked: T[]) => void
  /** Shown before the options (e.g. why there are none). */
  children?: ReactNode
}) {
  return (
    <fieldset className={className}>
      <legend className="small">{legend}</legend>
      {children}
      {options.map((o) => (
        <label key={o.value} className="row small">
          <input
            type="checkbox"
            checked={picked.includes(o.value)}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked
              onChange(on ? [...picked, o.value] : picked.filter((x) => x !== o.value))
            }}
          />
          {o.label}
        </label>
      ))}
    </fieldset>
  )
}

export function SignInFirst({ title, what }: { title: string; what: string }) {
  return (
    <CenterCard title={title}>
      <p>Sign in to manage your {what}.</p>
      <a className="button button-primary" href="/signin" onClick={linkHandler('/signin')}>
        Sign in
      </a>
    </CenterCard>
  )
}
