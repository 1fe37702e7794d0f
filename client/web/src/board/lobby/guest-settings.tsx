// The share dialog's guest settings (owner): the lobby ("Guests wait to be
// let in"), which tools guests may use (presets or a checklist of element
// types), whether guests may comment, and frames locked for guests.
import { useState } from 'react'
import type { Board } from '../../../../../shared/types.js'
import type { ApiClient, BoardPatch } from '../../../../sdk/index.js'

export const GUEST_TOOL_TYPES = ['rectangle', 'diamond', 'ellipse', 'text', 'arrow', 'line', 'freedraw', 'frame'] as const
const TOOL_LABELS: Record<string, string> = {
  rectangle: 'Rectangles (sticky notes)',
  diamond: 'Diamonds',
  ellipse: 'Ellipses',
  text: 'Text',
  arrow: 'Arrows',
  line: 'Lines',
  freedraw: 'Drawing (pen)',
  frame: 'Frames',
}

const PRESETS: { label: string; tools: string[] | null }[] = [
  { label: 'Everything', tools: null },
  { label: 'Sticky notes only', tools: ['rectangle', 'text'] },
  { label: 'Sticky notes and drawing', tools: ['rectangle', 'text', 'freedraw'] },
]

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x))

export interface BoardFrame {
  id: string
  name: string
}

interface Props {
  api: ApiClient
  board: Board
  frames: BoardFrame[]
  onBoard: (b: Board) => void
  run: (action: () => Promise<unknown>) => Promise<void>
}

export function GuestSettings({ api, board: saved, frames, onBoard, run }: Props) {
  // What was asked for shows at once, until the server's answer replaces it.
  const [asked, setAsked] = useState<BoardPatch>({})
  const board = { ...saved, ...asked }
  const patch = (p: BoardPatch) => {
    setAsked((a) => ({ ...a, ...p }))
    void run(async () => onBoard(await api.updateBoard(saved.id, p))).finally(() => setAsked({}))
  }
  const tools = board.guestTools
  const preset = PRESETS.findIndex((p) => (p.tools === null ? tools === null : tools !== null && sameSet(p.tools, tools)))
  const toggleTool = (t: string, on: boolean) => {
    const current = tools ?? [...GUEST_TOOL_TYPES]
    const next = on ? [...new Set([...current, t])] : current.filter((x) => x !== t)
    patch({ guestTools: GUEST_TOOL_TYPES.every((x) => next.includes(x)) ? null : next })
  }
  const locked = new Set(board.lockedFrames)
  return (
    <section data-testid="guest-settings">
      <h3>Guests</h3>
      <label className="check">
        <input type="checkbox" checked={board.lobby} onChange={(e) => patch({ lobby: (e.target as HTMLInputElement).checked })} />
        Guests wait to be let in
      </label>
      <p className="muted small">A guest joining through a link knocks; you or an editor lets them in (or not).</p>
      <label className="check">
        <input type="checkbox" checked={board.guestComments} onChange={(e) => patch({ guestComments: (e.target as HTMLInputElement).checked })} />
        Guests may comment
      </label>
      <fieldset className="radios">
        <legend>What guests may add</legend>
        {PRESETS.map((p, i) => (
          <label key={p.label}>
            <input type="radio" name="guest-tools" checked={preset === i} onChange={() => patch({ guestTools: p.tools })} />
            {p.label}
          </label>
        ))}
        <label>
          <input type="radio" name="guest-tools" checked={preset === -1} onChange={() => patch({ guestTools: tools ?? ['rectangle', 'text'] })} />
          Choose…
        </label>
      </fieldset>
      {preset === -1 || tools !== null ? (
        <div className="row wrap guest-tools" role="group" aria-label="Element types guests may add">
          {GUEST_TOOL_TYPES.map((t) => (
            <label key={t} className="check">
              <input type="checkbox" checked={tools === null || tools.includes(t)} onChange={(e) => toggleTool(t, (e.target as HTMLInputElement).checked)} />
              {TOOL_LABELS[t]}
            </label>
          ))}
        </div>
      ) : null}
      <h4>Frames locked for guests</h4>
      {frames.length === 0 ? (
        <p className="muted small">No frames on this board. Draw a frame (F) to group an area you want to keep as it is.</p>
      ) : (
        <ul className="people" data-testid="frame-locks">
          {frames.map((f) => (
            <li key={f.id} className="person row">
              <span className="person-name">{f.name}</span>
              <label className="check">
                <input
                  type="checkbox"
                  aria-label={`Lock ${f.name} for guests`}
                  checked={locked.has(f.id)}
                  onChange={(e) => patch({ lockedFrames: (e.target as HTMLInputElement).checked ? [...locked, f.id] : [...locked].filter((x) => x !== f.id) })}
                />
                Locked
              </label>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
