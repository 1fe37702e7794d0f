// A small typed event emitter that works the same in Node and browsers
// (Node's EventEmitter is not available in the browser bundle).

export type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  // Listeners are stored untyped; `on` and `emit` keep the pairing typed.
  private readonly listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as unknown as (...args: never[]) => void)
    return () => this.off(event, listener)
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as unknown as (...args: never[]) => void)
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const listener of [...set]) (listener as unknown as Listener<Events[K]>)(...args)
  }

  protected removeAllListeners(): void {
    this.listeners.clear()
  }
}
