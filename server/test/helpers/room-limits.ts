import { DEFAULT_PRESENCE_LIMITS } from '../../src/collab/room-presence.js'
import type { RoomLimits } from '../../src/collab/room.js'
import { DEFAULT_UPDATE_LIMITS } from '../../src/collab/update-scan.js'

/** Room limits for in-process rooms: the server's defaults, with overrides. */
export function testRoomLimits(overrides: Partial<RoomLimits> = {}): RoomLimits {
  return {
    update: DEFAULT_UPDATE_LIMITS,
    presence: DEFAULT_PRESENCE_LIMITS,
    maxClientIdsPerConnection: 256,
    maxDocBytes: 1 << 24,
    markupPerPrincipal: 1 << 20,
    markupPerBoard: 1 << 22,
    ...overrides,
  }
}
