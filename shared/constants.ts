// Wire-level names shared by the server, the SDK and the web app.

/** WebSocket close codes (y-websocket 3 convention: 4400-4499 are permanent). */
export const CloseCode = {
  /** Normal close initiated by us, e.g. a client leaving. */
  normal: 1000,
  /** The server is shutting down; retried. */
  goingAway: 1001,
  /** A dependency (database, Redis) is down; retried. */
  tryAgainLater: 1013,
  /** The principal's role changed; reconnect to pick up the new role. Retried. */
  roleChanged: 4009,
  /** Bad or expired token. */
  unauthenticated: 4401,
  /** No access any more (revoked, removed, guests turned off). */
  forbidden: 4403,
  /** The board does not exist or was deleted. */
  notFound: 4404,
  /** A host took you out of the session; you may come back (not retried by itself). */
  kicked: 4410,
  /** A message or the document is too large. */
  tooLarge: 4413,
  /** An update was refused; start from a fresh document. */
  updateRefused: 4422,
  /** The per-connection message rate was abused. */
  rateLimited: 4429,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

export function isPermanentClose(code: number): boolean {
  return code >= 4400 && code < 4500
}

/** `error.code` values of the HTTP API and of socket.io acknowledgements. */
export const ErrorCode = {
  invalidRequest: 'invalid_request',
  unauthenticated: 'unauthenticated',
  invalidCredentials: 'invalid_credentials',
  forbidden: 'forbidden',
  guestForbidden: 'guest_forbidden',
  guestsNotAllowed: 'guests_not_allowed',
  notFound: 'not_found',
  conflict: 'conflict',
  emailTaken: 'email_taken',
  alreadyOwned: 'already_owned',
  gone: 'gone',
  inviteRevoked: 'invite_revoked',
  inviteExpired: 'invite_expired',
  inviteExhausted: 'invite_exhausted',
  tooLarge: 'too_large',
  unsupportedMediaType: 'unsupported_media_type',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  internal: 'internal_error',
  /** A host banned this person (or browser, or address) from the board. */
  banned: 'banned',
  /** A guest in the board's lobby, not let in yet. */
  waitingForHost: 'waiting_for_host',
  /** A host did not let this guest in from the lobby. */
  lobbyDenied: 'lobby_denied',
  /** A password reset or verification link that is unknown, used, superseded or expired (one answer for all). */
  invalidLink: 'invalid_link',
  /** A single sign-on the provider refused, the user cancelled, or that could not be checked or given an account. */
  ssoFailed: 'sso_failed',
  /** Single sign-on for an address that already has an account, which the provider does not vouch for (email_verified). */
  ssoEmailUnverified: 'sso_email_unverified',
  /** The server requires a verified e-mail address for this (EMAIL_VERIFICATION=required). */
  emailUnverified: 'email_unverified',
  /** An API key asked for what only a signed-in user may do (manage keys, change the password, sign out). */
  apiKeyForbidden: 'api_key_forbidden',
  /** The account's plan does not include this (webhooks need pro). */
  planRequired: 'plan_required',
  /** Only the board's owner may change content while it is locked. */
  boardLocked: 'board_locked',
  /** An archived board is read-only for everyone. */
  boardArchived: 'board_archived',
  /** A reviewer's document write (the document API) that changes or deletes what someone else created. */
  notOwnMarkup: 'not_own_markup',
  /** A guest's document write with an element type the host does not allow guests. */
  toolNotAllowed: 'tool_not_allowed',
  /** A guest's document write touching a frame the host locked. */
  lockedFrame: 'locked_frame',
  /** A reviewer's document write past its markup quota (or the board's). */
  markupQuota: 'markup_quota',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * Drawbridge's extension message on the y-websocket connection. Type 0-3 are
 * taken by y-websocket (sync, awareness, auth, query awareness); we use a
 * type far away from them and send it only to clients that opted in with
 * `?ext=1`, because a stock client logs an error for unknown types.
 */
export const EXT_MESSAGE_TYPE = 100

export const ExtKind = {
  /** Sent once after the initial sync: who the server thinks you are. */
  welcome: 'welcome',
  /** Everything up to `version` you sent is durably stored. */
  saved: 'saved',
  /** Your last update was refused; the socket closes with 4422 right after. */
  refused: 'refused',
  /** The board settings that affect writing changed (lock, archive). */
  board: 'board',
} as const
export type ExtKind = (typeof ExtKind)[keyof typeof ExtKind]

/** Why the update guard refused an update. */
export const RefusalReason = {
  malformed: 'malformed',
  tooLarge: 'too_large',
  readOnly: 'read_only',
  locked: 'locked',
  archived: 'archived',
  foreignClient: 'foreign_client',
  clockGap: 'clock_gap',
  unknownRoot: 'unknown_root',
  unresolvable: 'unresolvable',
  subdocument: 'subdocument',
  gcStruct: 'gc_struct',
  notOwnMarkup: 'not_own_markup',
  futureDelete: 'future_delete',
  forbiddenShapeType: 'forbidden_shape_type',
  /** A guest used a tool the host did not allow guests. */
  toolNotAllowed: 'tool_not_allowed',
  /** A guest changed a locked frame or something in it. */
  lockedFrame: 'locked_frame',
  schema: 'schema',
  tooComplex: 'too_complex',
  markupQuota: 'markup_quota',
} as const
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason]

/** Plain-language text for each refusal, shown by the web app. */
export const refusalMessages: Record<RefusalReason, string> = {
  malformed: 'The change could not be read.',
  too_large: "This board is full. Delete something (a guest's markup, say) to make room, then try again.",
  read_only: 'You can only view this board.',
  locked: 'This board is locked; only its owner can change it.',
  archived: 'This board is archived and read-only.',
  foreign_client: 'That change claimed to come from someone else.',
  clock_gap: 'The change arrived out of order.',
  unknown_root: 'The change touched a part of the board that does not exist.',
  unresolvable: 'The change refers to content the server does not have.',
  subdocument: 'Embedded documents are not allowed.',
  gc_struct: 'Reviewers cannot send compacted history.',
  not_own_markup: 'Reviewers can only change their own markup.',
  future_delete: 'The change deletes content the server has not seen.',
  forbidden_shape_type: 'Guests cannot add images, embeds or web pages.',
  tool_not_allowed: 'The host has not allowed guests to use that tool here.',
  locked_frame: 'The host locked that frame: only members can change what is in it.',
  schema: 'The change does not fit the board format.',
  too_complex: 'The change is too big or too deeply nested; make it in smaller steps.',
  markup_quota: 'You have used all the space for markup on this board; delete some of your markup first.',
}

/** Root types of the board document. */
export const DocRoot = { shapes: 'shapes', markup: 'markup', meta: 'meta' } as const
export type DocRoot = (typeof DocRoot)[keyof typeof DocRoot]
export const DOC_ROOTS: readonly DocRoot[] = [DocRoot.shapes, DocRoot.markup, DocRoot.meta]

/**
 * Element types guests may not create, in any root: they show content from
 * elsewhere (Excalidraw's images, embeds and iframes; the earlier canvas's
 * embed, table and web image shapes).
 */
export const GUEST_FORBIDDEN_SHAPE_TYPES: readonly string[] = ['image', 'embeddable', 'iframe', 'embed', 'table', 'webimage']

/** The suffix that marks the title of a temporary (ownerless) board. */
export const TEMPORARY_TITLE_SUFFIX = ' (temporary)'

export const GUEST_NAME_MAX = 64
export const COMMENT_BODY_MAX = 10_000
