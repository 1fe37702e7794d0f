// The busy flag and error text of a form's one action. Busy stays on after
// success: every such action ends by navigating away, and a second click in
// between must not send the request again.
import { useState } from 'react'
import { errorText } from './api.js'

export function useAction() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (action: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await action()
    } catch (err) {
      setError(errorText(err))
      setBusy(false)
    }
  }
  return { busy, error, setError, run }
}
