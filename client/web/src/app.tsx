import { lazy, Suspense, useEffect, useState } from 'react'
import { useLocation } from './lib/router.js'
import { onSessionChange } from './lib/session.js'
import { ApiKeysPage } from './pages/api-keys-page.js'
import { AuthPage } from './pages/auth-page.js'
import { BoardsPage } from './pages/boards-page.js'
import { JoinPage } from './pages/join-page.js'
import { ForgotPasswordPage, ResetPasswordPage } from './pages/password-pages.js'
import { SsoPage } from './pages/sso-page.js'
import { VerifyEmailPage } from './pages/verify-email-page.js'
import { WebhooksPage } from './pages/webhooks-page.js'
import { CenterCard, HomeLink, Loading } from './ui/screens.js'
import { loadBoardPage } from './lib/board-chunk.js'

// The board page (and the drawing engine it brings) is its own chunk: the
// join page and the boards list stay light.
const BoardPage = lazy(() => loadBoardPage().then((m) => ({ default: m.BoardPage })))

export function App() {
  const { path, query } = useLocation()
  const [, setTick] = useState(0)
  useEffect(() => onSessionChange(() => setTick((t) => t + 1)), [])
  let m: RegExpExecArray | null
  if ((m = /^\/join\/([^/]+)\/?$/.exec(path))) return <JoinPage token={decodeURIComponent(m[1]!)} />
  if ((m = /^\/b\/([^/]+)\/?$/.exec(path))) {
    return (
      <Suspense fallback={<Loading what="Opening the board…" />}>
        {/* Keyed, so moving between boards starts a fresh session. */}
        <BoardPage key={m[1]} boardId={decodeURIComponent(m[1]!)} />
      </Suspense>
    )
  }
  if (path === '/signin') return <AuthPage mode="signin" query={query} />
  if (path === '/register') return <AuthPage mode="register" query={query} />
  if (path === '/forgot-password') return <ForgotPasswordPage />
  if (path === '/reset-password') return <ResetPasswordPage />
  if (path === '/verify-email') return <VerifyEmailPage />
  if (path === '/sso') return <SsoPage />
  if (path === '/settings/api-keys') return <ApiKeysPage />
  if (path === '/settings/webhooks') return <WebhooksPage />
  if (path === '/' || path === '/index.html') return <BoardsPage />
  return (
    <CenterCard title="Page not found">
      <HomeLink />
    </CenterCard>
  )
}
