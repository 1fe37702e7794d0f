// A person as history shows them: the name, and a GUEST badge for guests.
import type { HistoryPerson } from '../../../../../shared/history.js'
import { personName } from './labels.js'

export function PersonName({ person, me }: { person: Pick<HistoryPerson, 'name' | 'guest'> & Partial<HistoryPerson>; me?: { kind: string; id: string } | null }) {
  const isMe = !!me && person.id === me.id && person.kind === me.kind
  return (
    <span className="history-person">
      {personName(person)}
      {isMe ? ' (you)' : ''}
      {person.guest ? <span className="badge badge-guest">GUEST</span> : null}
    </span>
  )
}
