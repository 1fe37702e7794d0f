// Run-time settings shared by every instance: today, the global guest switch.
import { eq } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { SignalTransport } from '../bus/signals.js'
import type { Db } from '../store/db.js'
import { settings } from '../store/schema.js'

const GUESTS_KEY = 'guests_enabled'

export class Settings {
  private guestsSetting = true

  private constructor(
    private readonly db: Db,
    private readonly signals: SignalTransport,
    /** GUESTS_ENABLED=false turns guests off for good, whatever the admin switch says. */
    private readonly guestsAllowedByConfig: boolean,
    logger: Logger,
  ) {
    // Subscribed before the hub and socket.io, so they re-check with the new value.
    signals.subscribe((signal) => {
      if (signal.type === 'guests.disabled') this.guestsSetting = false
      if (signal.type === 'guests.enabled') this.guestsSetting = true
    })
    void logger
  }

  static async load(db: Db, signals: SignalTransport, guestsAllowedByConfig: boolean, logger: Logger): Promise<Settings> {
    const s = new Settings(db, signals, guestsAllowedByConfig, logger)
    const [row] = await db.select().from(settings).where(eq(settings.key, GUESTS_KEY))
    if (row) s.guestsSetting = row.value === true
    return s
  }

  get guestsEnabled(): boolean {
    return this.guestsAllowedByConfig && this.guestsSetting
  }

  /** Turning guests off ends every guest session at once, on every instance. */
  async setGuestsEnabled(enabled: boolean): Promise<boolean> {
    await this.db
      .insert(settings)
      .values({ key: GUESTS_KEY, value: enabled })
      .onConflictDoUpdate({ target: settings.key, set: { value: enabled, updatedAt: new Date() } })
    this.guestsSetting = enabled
    this.signals.publish({ type: enabled ? 'guests.enabled' : 'guests.disabled' })
    return this.guestsEnabled
  }
}
