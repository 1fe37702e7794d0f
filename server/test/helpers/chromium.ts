// Which Debian Chromium the browser tests drive. Debian's
// chromium-headless-shell (the same engine, without the desktop browser
// around it) opens a page in half the CPU of `chromium --headless`, and the
// browser flows are most of the suite's time; the full browser is the
// fallback, and CHROMIUM_PATH picks either (or any other build).
import { existsSync } from 'node:fs'

const CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium']

export const chromiumPath = process.env.CHROMIUM_PATH ?? CANDIDATES.find((p) => existsSync(p)) ?? CANDIDATES[0]!
export const hasChromium = existsSync(chromiumPath)
