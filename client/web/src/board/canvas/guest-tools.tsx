// The host's guest tools (board.guestTools) in Excalidraw's toolbar: tools
// that would make an element type guests may not create are hidden (a style
// rule, as Excalidraw's UIOptions cover only the image tool), a shortcut key
// that picks one anyway puts the selection tool back with a hint, and the
// binding refuses such an element before it is written.
import type { Rights } from './binding.js'

/** Excalidraw tools that create elements, by the element type they make. */
const CREATING_TOOLS = ['rectangle', 'diamond', 'ellipse', 'arrow', 'line', 'freedraw', 'text', 'image', 'frame', 'magicframe', 'embeddable']

/** The tools hidden from this guest. */
export function refusedTools(rights: Rights): string[] {
  const allowed = rights.allowedTypes
  return allowed ? CREATING_TOOLS.filter((t) => !allowed.includes(t)) : []
}

/** A hint when a guest picked a tool the host did not allow; null otherwise. */
export function guestToolHint(rights: Rights, tool: string): string | null {
  if (!rights.guest || rights.scope === 'none' || !rights.allowedTypes) return null
  return CREATING_TOOLS.includes(tool) && !rights.allowedTypes.includes(tool) ? 'The host limited what guests can add on this board.' : null
}

/** The tool a guest lands with: drawing when allowed, else the first allowed one (sticky notes: rectangle). */
export function startTool(rights: Rights): 'freedraw' | 'rectangle' | 'text' | 'ellipse' | 'diamond' | 'arrow' | 'line' | null {
  const allowed = rights.allowedTypes
  if (!allowed) return 'freedraw'
  for (const t of ['freedraw', 'rectangle', 'text', 'ellipse', 'diamond', 'arrow', 'line'] as const) if (allowed.includes(t)) return t
  return null
}

export function GuestToolStyle({ rights }: { rights: Rights }) {
  const hidden = refusedTools(rights)
  if (!hidden.length) return null
  const rules = hidden.map((t) => `.canvas label:has(> [data-testid="toolbar-${t}"]), .canvas [data-testid="toolbar-${t}"]`).join(',\n')
  return <style data-testid="guest-tool-style">{`${rules} { display: none !important; }`}</style>
}
