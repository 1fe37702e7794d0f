// Full-page states: loading, and the clear "you can't be here" screens.
import type { ReactNode } from 'react'
import { linkHandler } from '../lib/router.js'

export function CenterCard({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <main className="center-page">
      <div className="card" data-testid={testId}>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  )
}

export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <main className="center-page" aria-busy="true">
      <p className="muted">{what}</p>
    </main>
  )
}

export function SignInLink() {
  return (
    <p className="muted small">
      <a href="/signin" onClick={linkHandler('/signin')}>
        Back to sign in
      </a>
    </p>
  )
}

export function HomeLink() {
  return (
    <p>
      <a href="/" onClick={linkHandler('/')}>
        Go to my boards
      </a>
    </p>
  )
}
