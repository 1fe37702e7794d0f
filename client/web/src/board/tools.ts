// The tools and who gets them. Shortcuts are single keys, as in most whiteboards.
import type { Abilities } from './abilities.js'

export type ToolId = 'select' | 'hand' | 'rect' | 'ellipse' | 'sticky' | 'text' | 'arrow' | 'pen' | 'scribble' | 'highlight' | 'note' | 'comment'

export interface ToolDef {
  id: ToolId
  label: string
  key: string
  icon: string
  needs: (a: Abilities) => boolean
}

const any = () => true
const content = (a: Abilities) => a.content
const markup = (a: Abilities) => a.markup

export const TOOLS: ToolDef[] = [
  { id: 'select', label: 'Select', key: 'v', icon: 'M5 3l14 8-6 2-3 6z', needs: (a) => a.content || a.markup },
  { id: 'hand', label: 'Pan', key: 'h', icon: 'M8 13V5a1.5 1.5 0 013 0v6m0-1V4a1.5 1.5 0 013 0v7m0-5a1.5 1.5 0 013 0v8c0 4-3 7-7 7s-6-3-7-6l-1-3a1.5 1.5 0 013-1l1 2', needs: any },
  { id: 'rect', label: 'Rectangle', key: 'r', icon: 'M4 6h16v12H4z', needs: content },
  { id: 'ellipse', label: 'Ellipse', key: 'o', icon: 'M12 5c5 0 9 3 9 7s-4 7-9 7-9-3-9-7 4-7 9-7z', needs: content },
  { id: 'sticky', label: 'Sticky note', key: 's', icon: 'M4 4h16v11l-5 5H4zM15 20v-5h5', needs: content },
  { id: 'text', label: 'Text', key: 't', icon: 'M5 5h14M12 5v14M9 19h6', needs: content },
  { id: 'arrow', label: 'Arrow', key: 'a', icon: 'M4 20L20 4M11 4h9v9', needs: content },
  { id: 'pen', label: 'Pen', key: 'p', icon: 'M4 20c4-1 5-6 9-10l3 3c-4 4-9 5-10 9M13 10l3-3 3 3-3 3', needs: content },
  { id: 'scribble', label: 'Scribble (markup)', key: 'd', icon: 'M3 17c3-6 5-9 7-7s-2 7 1 7 4-8 7-8 2 5 3 6', needs: markup },
  { id: 'highlight', label: 'Highlighter (markup)', key: 'm', icon: 'M4 20h8M6 16l8-8 4 4-8 8H6zM14 8l2-2 4 4-2 2', needs: markup },
  { id: 'note', label: 'Review note (markup)', key: 'n', icon: 'M4 4h16v12H9l-5 4zM8 9h8M8 12h5', needs: markup },
  { id: 'comment', label: 'Comment', key: 'c', icon: 'M4 5h16v11H10l-4 4v-4H4z', needs: (a) => a.comment },
]

export function availableTools(a: Abilities): ToolDef[] {
  return TOOLS.filter((t) => t.needs(a))
}

export const PALETTE = ['#1e1e1e', '#e03131', '#2f9e44', '#1971c2', '#f08c00', '#9c36b5', '#868e96']
export const FILLS = ['none', '#fff3a0', '#ffc9c9', '#b2f2bb', '#a5d8ff', '#ffd8a8', '#eebefa']
