// Full-page states: loading, and the clear "you can't be here" screens.
import type { ComponentChildren } from 'preact'
import { linkHandler } from '../lib/router.js'

export function CenterCard({ title, children, testId }: { title: string; children?: ComponentChildren; testId?: string }) {
  return (
    <main class="center-page">
      <div class="card" data-testid={testId}>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  )
}

export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <main class="center-page" aria-busy="true">
      <p class="muted">{what}</p>
    </main>
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
