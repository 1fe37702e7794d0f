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

export function holdAccessChecks(server: TestServer, kind: 'user' | 'guest'): HeldChecks {
  const policy = server.deps.policy
  const real = policy.accessTo
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  let reach!: () => void
  const reached = new Promise<void>((r) => (reach = r))
  policy.accessTo = async function (this: typeof policy, ...args: Parameters<typeof real>) {
    const answer = await real.apply(this, args)
    if (args[1].kind === kind) {
      reach()
      await released
    }
    return answer
  }
  return {
    reached,
    release() {
      policy.accessTo = real
      release()
    },
  }
}
