// Comment threads: the list, one thread with its replies, resolve, and the
// composer for a new pin. Bodies are rendered as text nodes, never as HTML.
import type { Anchor, Author, Participant, Reply, Thread } from '../../../../shared/types.js'
import { parseCommentBody } from '../../../sdk/index.js'
import { CommentComposer } from './comment-composer.js'

interface Props {
  threads: Thread[]
  openId: string | null
  draftAnchor: Anchor | null
  canComment: boolean
  /** Members for @-mentions; empty for guests. */
  members: Participant[]
  me: { id: string; kind: string } | null
  isOwner: boolean
  showResolved: boolean
  setShowResolved: (v: boolean) => void
  onOpen: (id: string | null) => void
  onCreate: (anchor: Anchor, body: string) => Promise<void>
  onReply: (threadId: string, body: string) => Promise<void>
  onResolve: (threadId: string, resolved: boolean) => Promise<void>
  onDelete: (threadId: string) => Promise<void>
  onCancelDraft: () => void
  onClose: () => void
}

export function Body({ text }: { text: string }) {
  return (
    <p className="comment-body">
      {parseCommentBody(text).map((part, i) =>
        part.type === 'text' ? (
          <span key={i}>{part.text}</span>
        ) : (
          <span key={i} className="mention">
            @{part.name}
          </span>
        ),
      )}
    </p>
  )
}

function Byline({ author, importedAuthor, at }: { author: Author; importedAuthor?: string | undefined; at: string }) {
  return (
    <div className="byline">
      <strong>{author.name}</strong>
      {author.guest ? <span className="badge badge-guest">GUEST</span> : null}
      {/* Came with an imported board: the file's author name, unverified, so plain text only. */}
      {importedAuthor !== undefined ? <span className="muted small" data-testid="imported-author">imported, originally by {importedAuthor}</span> : null}
      <time dateTime={at} className="muted small">
        {new Date(at).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}
      </time>
    </div>
  )
}

function Entry({ entry }: { entry: Reply }) {
  return (
    <li className="comment">
      <Byline author={entry.author} importedAuthor={entry.importedAuthor} at={entry.createdAt} />
      <Body text={entry.body} />
    </li>
  )
}

export function CommentsPanel(p: Props) {
  const open = p.openId ? p.threads.find((t) => t.id === p.openId) : undefined
  const visible = p.threads.filter((t) => p.showResolved || !t.resolved)
  return (
    <aside className="panel" aria-label="Comments">
      <div className="panel-head">
        <h2>{open ? 'Thread' : 'Comments'}</h2>
        <button type="button" className="icon-button" aria-label="Close comments" onClick={p.onClose}>
          ×
        </button>
      </div>
      {p.draftAnchor && p.canComment ? (
        <div className="new-comment" data-testid="new-comment">
          <h3>New comment</h3>
          <CommentComposer label="New comment" placeholder={p.members.length ? 'Write a comment… @ to mention' : 'Write a comment…'} members={p.members} autoFocus focusKey={JSON.stringify(p.draftAnchor)} submitLabel="Comment" onSubmit={(body) => p.onCreate(p.draftAnchor!, body)} />
          <button type="button" className="button button-ghost" onClick={p.onCancelDraft}>
            Cancel
          </button>
        </div>
      ) : null}
      {open ? (
        <div className="thread" data-testid="thread">
          <button type="button" className="button button-ghost" onClick={() => p.onOpen(null)}>
            ← All comments
          </button>
          <ul className="comments">
            <Entry entry={open} />
            {open.replies.map((r) => (
              <Entry key={r.id} entry={r} />
            ))}
          </ul>
          {p.canComment ? (
            <>
              <CommentComposer label="Reply" placeholder="Reply…" members={p.members} submitLabel="Reply" onSubmit={(body) => p.onReply(open.id, body)} />
              <div className="row">
                <button type="button" className="button" onClick={() => void p.onResolve(open.id, !open.resolved)}>
                  {open.resolved ? 'Reopen' : 'Resolve'}
                </button>
                {(p.me && open.author.id === p.me.id && open.author.kind === p.me.kind) || p.isOwner ? (
                  <button type="button" className="button button-danger" onClick={() => void p.onDelete(open.id)}>
                    Delete
                  </button>
                ) : null}
              </div>
            </>
          ) : null}
        </div>
      ) : (
        <>
          <label className="check">
            <input type="checkbox" checked={p.showResolved} onChange={(e) => p.setShowResolved((e.target as HTMLInputElement).checked)} />
            Show resolved
          </label>
          {visible.length === 0 ? (
            <p className="muted">{p.canComment ? 'No comments yet. Pick the comment tool (C) and click the board.' : 'No comments yet.'}</p>
          ) : (
            <ul className="thread-list">
              {visible.map((t) => (
                <li key={t.id}>
                  <button type="button" className={`thread-item${t.resolved ? ' resolved' : ''}`} onClick={() => p.onOpen(t.id)}>
                    <Byline author={t.author} importedAuthor={t.importedAuthor} at={t.createdAt} />
                    <Body text={t.body.length > 140 ? t.body.slice(0, 140) + '…' : t.body} />
                    <span className="muted small">
                      {t.replies.length} {t.replies.length === 1 ? 'reply' : 'replies'}
                      {t.resolved ? ' · resolved' : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </aside>
  )
}
