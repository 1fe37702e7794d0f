// The busy flag and error text of a form's one action. By default busy stays
// on after success: such an action ends by navigating away, and a second
// click in between must not send the request again. A form that stays on the
// page (the settings forms) passes `staysBusy: false`.
import { useState } from 'react'
import { errorText } from './api.js'

export function useAction({ staysBusy = true }: { staysBusy?: boolean } = {}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (action: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await action()
      if (!staysBusy) setBusy(false)
    } catch (err) {
      setError(errorText(err))
      setBusy(false)
    }
  }
  return { busy, error, setError, run }
}
