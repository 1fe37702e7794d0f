// What a summon means for this person: someone else's summon moves our view
// to theirs (the canvas fits it, then keeps up with their moves) until we
// break away by panning or zooming, except a reader in presenter mode, who
// stays until the presenter releases everyone. Our own summon moves nobody
// here; a new summon, after breaking away, brings us again.
import { useEffect, useState } from 'react'
import type { Role } from '../../../../../shared/capabilities.js'
import type { Summon } from '../../../../../shared/session.js'
import type { Author } from '../doc-model.js'

export interface SummonView {
  /** The summon our view is on now (someone else's, not broken away from). */
  active: Summon | null
  /** Presenter mode holds us: panning and zooming snap back. */
  held: boolean
  /** The summon in force is ours. */
  mine: boolean
  breakAway(): void
}

export function useSummonView(summon: Summon | null, me: Author | null, role: Role | null, stopFollowing: () => void): SummonView {
  const [leftAt, setLeftAt] = useState<string | null>(null)
  const mine = !!summon && !!me && summon.by.id === me.id && summon.by.kind === me.kind
  const active = summon && !mine && leftAt !== summon.at ? summon : null
  const held = !!active?.hold && role === 'reader'
  // Being brought to someone replaces following anyone else.
  useEffect(() => {
    if (active) stopFollowing()
  }, [active?.at])
  return {
    active,
    held,
    mine,
    breakAway: () => {
      if (summon && !held) setLeftAt(summon.at)
    },
  }
}
