// Makes a race deterministic: the real policy answers, and then the answer is
// held back until the test lets it go, so the test can change access in
// between. Nothing is mocked; only the timing is chosen.
import type { TestServer } from './server.js'

export interface HeldChecks {
  /** Resolves once a check for the held kind has been answered and is waiting. */
  reached: Promise<void>
  /** Lets every held answer through and restores the policy. */
  release(): void
}

/** The moment a held answer is reached, and the gate that lets every held answer through. */
function gate(restore: () => void): HeldChecks & { hold(): Promise<void> } {
  let open!: () => void
  const released = new Promise<void>((r) => (open = r))
  let reach!: () => void
  const reached = new Promise<void>((r) => (reach = r))
  return {
    reached,
    async hold() {
      reach()
      await released
    },
    release() {
      restore()
      open()
    },
  }
}

/** Holds both ways a join is answered: accessTo (a board already loaded) and accessFrom (read with the principal, hub.connect). */
export function holdAccessChecks(server: TestServer, kind: 'user' | 'guest'): HeldChecks {
  const policy = server.deps.policy
  const realTo = policy.accessTo
  const realFrom = policy.accessFrom
  const g = gate(() => {
    policy.accessTo = realTo
    policy.accessFrom = realFrom
  })
  const held = async <T extends { principal: { kind: string } }>(answer: Promise<T>): Promise<T> => {
    const a = await answer
    if (a.principal.kind === kind) await g.hold()
    return a
  }
  policy.accessTo = function (this: typeof policy, ...args: Parameters<typeof realTo>) {
    return held(realTo.apply(this, args))
  }
  policy.accessFrom = function (this: typeof policy, ...args: Parameters<typeof realFrom>) {
    return held(realFrom.apply(this, args))
  }
  return { reached: g.reached, release: g.release }
}

/**
 * Holds the presence registry's answer to "who is online on this board",
 * which a join asks after it has its room and before it is in it (capacity
 * counts every instance; with Redis that is a network round trip).
 */
export function holdOnlineLookup(server: TestServer, boardId: string): HeldChecks {
  const presence = server.deps.presence
  const real = presence.onlinePrincipals
  const g = gate(() => (presence.onlinePrincipals = real))
  presence.onlinePrincipals = async function (this: typeof presence, ...args: Parameters<typeof real>) {
    const answer = await real.apply(this, args)
    if (args[0] === boardId) await g.hold()
    return answer
  }
  return { reached: g.reached, release: g.release }
}
