// SVG for every item. Each item renders through a component that only
// updates when its own snapshot (or resolved arrow geometry) changes, so a
// change to one item re-renders one element even on a 5,000-item board.
import { Component } from 'preact'
import type { DocModel, Item } from './doc-model.js'
import { arrowEnds, arrowHead, intersects, itemRect, type Rect, strokePath, strokeSize, wrapText } from './geometry.js'

interface ViewProps {
  item: Item
  /** Resolved connector ends (arrows only), as a string so equality is cheap. */
  ends?: string
}

function Label({ item, size, pad, color = '#1e1e1e', top = false }: { item: Item; size: number; pad: number; color?: string; top?: boolean }) {
  if (!item.text) return null
  const w = Math.abs(item.w)
  const h = Math.abs(item.h)
  const x = Math.min(item.x, item.x + item.w)
  const y = Math.min(item.y, item.y + item.h)
  const lines = wrapText(item.text, w - pad * 2, size, Math.max(1, Math.floor((h - pad) / (size * 1.25))))
  const startY = top ? y + pad + size : y + h / 2 - ((lines.length - 1) * size * 1.25) / 2 + size * 0.35
  return (
    <text x={top ? x + pad : x + w / 2} y={startY} font-size={size} fill={color} text-anchor={top ? 'start' : 'middle'} class="item-text">
      {lines.map((line, i) => (
        <tspan key={i} x={top ? x + pad : x + w / 2} dy={i === 0 ? 0 : size * 1.25}>
          {line}
        </tspan>
      ))}
    </text>
  )
}

function renderItem(item: Item, ends?: string) {
  const x = Math.min(item.x, item.x + item.w)
  const y = Math.min(item.y, item.y + item.h)
  const w = Math.abs(item.w)
  const h = Math.abs(item.h)
  switch (item.type) {
    case 'rect':
      return (
        <>
          <rect x={x} y={y} width={w} height={h} rx={6} fill={item.fill === 'none' ? 'transparent' : item.fill} stroke={item.stroke} stroke-width={2} />
          <Label item={item} size={18} pad={8} />
        </>
      )
    case 'ellipse':
      return (
        <>
          <ellipse cx={x + w / 2} cy={y + h / 2} rx={w / 2} ry={h / 2} fill={item.fill === 'none' ? 'transparent' : item.fill} stroke={item.stroke} stroke-width={2} />
          <Label item={item} size={18} pad={w * 0.15} />
        </>
      )
    case 'sticky':
    case 'note':
      return (
        <>
          <rect x={x} y={y} width={w} height={h} rx={3} fill={item.fill === 'none' ? '#fff3a0' : item.fill} stroke="rgba(0,0,0,.12)" class="sticky" />
          {item.type === 'note' && item.author ? (
            <text x={x + 8} y={y + h - 8} font-size={11} fill="#5a4a00" class="item-text">
              {item.author.name}
            </text>
          ) : null}
          <Label item={item} size={item.type === 'note' ? 14 : 16} pad={10} top />
        </>
      )
    case 'text':
      return (
        <>
          <rect x={x} y={y} width={w} height={h} fill="transparent" />
          <Label item={{ ...item, text: item.text || ' ' }} size={22} pad={2} color={item.stroke} top />
        </>
      )
    case 'arrow': {
      const [x1, y1, x2, y2] = (ends ?? '0,0,0,0').split(',').map(Number) as [number, number, number, number]
      return (
        <>
          {/* A wide invisible line makes thin arrows easy to grab. */}
          <line x1={x1} y1={y1} x2={x2} y2={y2} stroke="transparent" stroke-width={14} />
          <line x1={x1} y1={y1} x2={x2} y2={y2} stroke={item.stroke} stroke-width={2.5} stroke-linecap="round" />
          <path d={arrowHead(x1, y1, x2, y2)} fill="none" stroke={item.stroke} stroke-width={2.5} stroke-linecap="round" stroke-linejoin="round" />
        </>
      )
    }
    case 'pen':
    case 'scribble':
    case 'highlight': {
      if (!item.points) return null
      const d = strokePath(item.points, strokeSize(item.type), item.type === 'highlight' ? 0 : 0.5)
      const fill = item.type === 'highlight' ? (item.stroke === '#1e1e1e' ? '#ffd400' : item.stroke) : item.stroke
      return <path transform={`translate(${item.x},${item.y})`} d={d} fill={fill} opacity={item.type === 'highlight' ? 0.4 : 1} />
    }
    default:
      return null
  }
}

export class ItemView extends Component<ViewProps> {
  override shouldComponentUpdate(next: ViewProps): boolean {
    return next.item !== this.props.item || next.ends !== this.props.ends
  }

  override render() {
    const { item, ends } = this.props
    return (
      <g data-key={`${item.layer}:${item.id}`} class={`item item-${item.type}`}>
        {renderItem(item, ends)}
      </g>
    )
  }
}

interface LayerProps {
  model: DocModel
  version: number
  /** Items being edited in a text box are hidden here so the text is not drawn twice. */
  hidden: string | null
  /** Only items meeting this world rectangle are drawn (null: all, e.g. for export). */
  region: Rect | null
  /** Far zoomed out, text is unreadable and the most expensive thing to paint: leave it out. */
  lod: boolean
}

export class ShapeLayer extends Component<LayerProps> {
  override shouldComponentUpdate(next: LayerProps): boolean {
    const p = this.props
    return next.version !== p.version || next.hidden !== p.hidden || next.model !== p.model || next.region !== p.region || next.lod !== p.lod
  }

  override render() {
    const { model, hidden, region, lod } = this.props
    return (
      <g class={`items${lod ? ' lod' : ''}`}>
        {model.sorted().map((item) => {
          const key = `${item.layer}:${item.id}`
          if (key === hidden) return null
          if (region && !intersects(region, itemRect(item, model))) return null
          if (item.type !== 'arrow') return <ItemView key={key} item={item} />
          const e = arrowEnds(item, model)
          return <ItemView key={key} item={item} ends={`${e.x1},${e.y1},${e.x2},${e.y2}`} />
        })}
      </g>
    )
  }
}
