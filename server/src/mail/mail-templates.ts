// The text of every mail the server sends. Plain text: nothing to render,
// nothing remote to load, and a link a mail client shows as it is.
import type { Mail } from './mailer.js'

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000)
  return m % 60 === 0 ? `${m / 60} hour${m === 60 ? '' : 's'}` : `${m} minutes`
}

/** Names and titles come from users: one line, bounded, so they cannot reshape the mail. */
function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export function passwordResetMail(to: string, link: string, ttlMs: number): Mail {
  return {
    to,
    subject: 'Reset your Drawbridge password',
    text: [
      'Someone (we hope you) asked to reset the password of the Drawbridge account for this address.',
      '',
      `To choose a new password, open this link within ${minutes(ttlMs)}:`,
      '',
      link,
      '',
      'The link works once. Setting a new password signs you out everywhere else.',
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ].join('\n'),
  }
}

export function verificationMail(to: string, name: string, link: string): Mail {
  return {
    to,
    subject: 'Confirm your e-mail address for Drawbridge',
    text: [
      `Hello ${oneLine(name, 64)},`,
      '',
      'Please confirm that this address is yours by opening this link:',
      '',
      link,
      '',
      'If you did not create a Drawbridge account, ignore this mail.',
    ].join('\n'),
  }
}

export function claimReminderMail(to: string, board: { title: string; expiresAt: Date }, signUpLink: string): Mail {
  const left = Math.max(0, board.expiresAt.getTime() - Date.now())
  return {
    to,
    subject: `Your temporary board "${oneLine(board.title, 60)}" will be deleted soon`,
    text: [
      `The temporary board "${oneLine(board.title)}" will be deleted in about ${minutes(Math.max(60_000, Math.ceil(left / 60_000) * 60_000))} (${board.expiresAt.toISOString()}).`,
      '',
      'To keep it, sign up (it is free) in the browser you used on the board; your work comes with you and the board becomes yours:',
      '',
      signUpLink,
      '',
      'You asked to be reminded. This is the only reminder, and your address has now been forgotten.',
    ].join('\n'),
  }
}
