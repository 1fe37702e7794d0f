// Banners of a running session: whose view we are on (with Break away, or
// why we stay in presenter mode), the presenter's own Release, and the
// plain word that a full board made us a reader.
import type { CapacityNotice, Summon } from '../../../../../shared/session.js'
import { roleLabel } from '../../lib/format.js'
import type { SummonView } from './use-summon-view.js'

interface Props {
  view: SummonView
  /** The summon in force (ours included). */
  summon: Summon | null
  capacity: CapacityNotice | null
  /** Set for those who may release a summon. */
  onRelease?: () => void
  onRejoin: () => void
}

export function SessionBanners({ view, summon, capacity, onRelease, onRejoin }: Props) {
  const active = view.active
  return (
    <>
      {active ? (
        <div className="banner banner-info summon-banner" role="status" data-testid="summon-banner">
          <span className="banner-text">
            Following {active.by.name}’s view{view.held ? ': presenter mode keeps you here until they release everyone.' : ''}
          </span>
          {view.held ? null : (
            <button type="button" className="button banner-button" onClick={view.breakAway}>
              Break away
            </button>
          )}
        </div>
      ) : null}
      {view.mine && summon?.hold && onRelease ? (
        <div className="banner banner-info summon-banner" role="status" data-testid="presenting-banner">
          <span className="banner-text">Presenter mode: readers stay on your view.</span>
          <button type="button" className="button banner-button" onClick={onRelease}>
            Release
          </button>
        </div>
      ) : null}
      {capacity ? (
        <div className="banner banner-info" role="note" data-testid="capacity-banner">
          <span className="banner-text">
            This board is full ({capacity.capacity} {capacity.capacity === 1 ? 'person' : 'people'} at once), so you joined as a reader. Rejoin later to get your role ({roleLabel[capacity.role]}) back.
          </span>
          <button type="button" className="button banner-button" onClick={onRejoin}>
            Rejoin
          </button>
        </div>
      ) : null}
    </>
  )
}
