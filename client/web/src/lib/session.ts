// Who we are, kept in localStorage: at most one signed-in user, plus one
// guest identity per board (a guest token is only good for its own board),
// so a reload keeps the same guest and their markup stays theirs.
import type { Guest, User } from '../../../../shared/types.js'

const USER_KEY = 'drawbridge.user'
const FLASH_KEY = 'drawbridge.flash'
const BROWSER_KEY = 'drawbridge.browser'
const BROWSER_ID = /^[A-Za-z0-9_-]{8,64}$/
const guestKey = (boardId: string) => `drawbridge.guest.${boardId}`

export interface UserSession {
  token: string
  user: User
}

export interface GuestSession {
  token: string
  guest: Guest
}

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key)
    return raw ? (JSON.parse(raw) as T) : null
  } catch {
    return null
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // Private mode or a full quota: the session then lasts as long as the page.
  }
  notify()
}

const listeners = new Set<() => void>()
function notify(): void {
  for (const l of listeners) l()
}
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
// Another tab signed in or out.
if (typeof window !== 'undefined') window.addEventListener('storage', notify)

/** 32 random hex digits: fits the server's browser id pattern. */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

let browserIdInMemory: string | null = null

export const session = {
  /**
   * This browser's own random id, sent with every guest join: a host's ban
   * refuses the browser again. Kept in localStorage (in memory without it).
   */
  browserId: (): string => {
    try {
      const stored = localStorage.getItem(BROWSER_KEY)
      if (stored && BROWSER_ID.test(stored)) return stored
      const id = randomId()
      localStorage.setItem(BROWSER_KEY, id)
      return id
    } catch {
      browserIdInMemory ??= randomId()
      return browserIdInMemory
    }
  },
  user: (): UserSession | null => read<UserSession>(USER_KEY),
  setUser: (s: UserSession | null) => write(USER_KEY, s),
  guest: (boardId: string): GuestSession | null => read<GuestSession>(guestKey(boardId)),
  setGuest: (boardId: string, s: GuestSession | null) => write(guestKey(boardId), s),
  /** A message for the next page to show once (this tab only). */
  flash: (text: string) => {
    try {
      sessionStorage.setItem(FLASH_KEY, text)
    } catch {
      // Without storage the message is simply not shown.
    }
  },
  takeFlash: (): string | null => {
    try {
      const text = sessionStorage.getItem(FLASH_KEY)
      sessionStorage.removeItem(FLASH_KEY)
      return text
    } catch {
      return null
    }
  },
}
