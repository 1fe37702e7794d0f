// After signing up or in from a guest session on a board (password or
// single sign-on), what becomes of that board.
import { apiFor } from './api.js'
import { session } from './session.js'

/**
 * Signing up from a temporary board is the way to keep it: the new account
 * claims it in the same step, and the board says so once it opens. A board
 * that is not temporary (or no longer exists) is left as it is.
 */
export async function keepBoard(boardId: string, token: string): Promise<void> {
  const api = apiFor(token)
  try {
    const board = await api.getBoard(boardId)
    if (!board.ownerless) return session.flash('Your account is ready; your work on this board is yours now.')
    await api.claimBoard(boardId)
    session.flash('Your account is ready, and this board is yours: it will not be deleted.')
  } catch {
    // The account exists either way; the board page shows what state the board is in.
  }
}
