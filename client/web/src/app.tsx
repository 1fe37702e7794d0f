import { useEffect, useState } from 'preact/hooks'
import { BoardPage } from './board/board-page.js'
import { useLocation } from './lib/router.js'
import { onSessionChange } from './lib/session.js'
import { AuthPage } from './pages/auth-page.js'
import { BoardsPage } from './pages/boards-page.js'
import { JoinPage } from './pages/join-page.js'
import { CenterCard, HomeLink } from './ui/screens.js'

export function App() {
  const { path, query } = useLocation()
  const [, setTick] = useState(0)
  useEffect(() => onSessionChange(() => setTick((t) => t + 1)), [])
  let m: RegExpExecArray | null
  if ((m = /^\/join\/([^/]+)\/?$/.exec(path))) return <JoinPage token={decodeURIComponent(m[1]!)} />
  // Keyed, so moving between boards starts a fresh session.
  if ((m = /^\/b\/([^/]+)\/?$/.exec(path))) return <BoardPage key={m[1]} boardId={decodeURIComponent(m[1]!)} />
  if (path === '/signin') return <AuthPage mode="signin" query={query} />
  if (path === '/register') return <AuthPage mode="register" query={query} />
  if (path === '/' || path === '/index.html') return <BoardsPage />
  return (
    <CenterCard title="Page not found">
      <HomeLink />
    </CenterCard>
  )
}
