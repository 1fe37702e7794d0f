// What changed since the previewed version: outlines over the preview canvas
// for the elements it held that were changed or deleted since, and the list
// of every difference with who made it (guests marked).
import { getCommonBounds } from '@excalidraw/excalidraw'
import type { ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'
import type { ChangeKind, DocContent, ElementDiff } from '../../../../../shared/history.js'
import { useSceneRedraw } from '../canvas/use-scene-redraw.js'
import { describeElement } from './labels.js'
import { PersonName } from './person-name.js'

const CHANGE_TEXT: Record<ChangeKind, string> = {
  added: 'added since',
  changed: 'changed since',
  deleted: 'deleted since',
}

/** Boxes around the elements of the version that are different now. */
export function ChangeOutlines({ api, changes }: { api: ExcalidrawImperativeAPI; changes: ElementDiff[] }) {
  useSceneRedraw(api)
  const kinds = new Map(changes.filter((c) => c.change !== 'added').map((c) => [c.id, c.change]))
  if (kinds.size === 0) return null
  const { scrollX, scrollY, zoom } = api.getAppState()
  const pad = 6
  return (
    <div className="change-outlines" aria-hidden="true">
      {api
        .getSceneElements()
        .map((el) => ({ el, kind: kinds.get(el.id) ?? ('containerId' in el && el.containerId ? kinds.get(el.containerId) : undefined) }))
        .filter(({ kind }) => kind !== undefined)
        .map(({ el, kind }) => {
          const [x1, y1, x2, y2] = getCommonBounds([el])
          return (
            <span
              key={el.id}
              className={`change-outline change-${kind}`}
              style={{
                transform: `translate(${(x1 + scrollX) * zoom.value - pad}px, ${(y1 + scrollY) * zoom.value - pad}px)`,
                width: (x2 - x1) * zoom.value + pad * 2,
                height: (y2 - y1) * zoom.value + pad * 2,
              }}
            />
          )
        })}
    </div>
  )
}

interface ListProps {
  changes: ElementDiff[] | null
  content: DocContent
  /** The live document's entry, for what was added since. */
  liveEntry: (root: string, id: string) => Record<string, unknown> | null
  me: { kind: string; id: string } | null
  onShow: (id: string) => void
}

const MAX_LISTED = 100

export function ChangeList({ changes, content, liveEntry, me, onShow }: ListProps) {
  if (!changes) return <p className="muted small">Comparing with the board now…</p>
  const elements = changes.filter((c) => c.root !== 'meta')
  if (elements.length === 0) return <p className="muted small" data-testid="no-changes">The board is the same now as in this version.</p>
  return (
    <>
      <p className="small">
        {elements.length} {elements.length === 1 ? 'element differs' : 'elements differ'} from the board now:
      </p>
      <ul className="changes" data-testid="changes">
        {elements.slice(0, MAX_LISTED).map((c) => {
          const stored = (content[c.root]?.[c.id] as Record<string, unknown> | undefined) ?? liveEntry(c.root, c.id)
          return (
            <li key={`${c.root}:${c.id}`} className={`change change-${c.change}`} data-change={c.change}>
              <button type="button" className="change-button" disabled={c.change === 'added'} onClick={() => onShow(c.id)}>
                <span className="change-what">{describeElement(stored)}</span>
                <span className="muted small"> {CHANGE_TEXT[c.change]}</span>
              </button>
              {c.by.length ? (
                <span className="change-by small">
                  by{' '}
                  {c.by.map((p, i) => (
                    <span key={`${p.kind}:${p.id}`}>
                      {i ? ', ' : ''}
                      <PersonName person={p} me={me} />
                    </span>
                  ))}
                </span>
              ) : null}
            </li>
          )
        })}
      </ul>
      {elements.length > MAX_LISTED ? <p className="muted small">and {elements.length - MAX_LISTED} more.</p> : null}
    </>
  )
}
