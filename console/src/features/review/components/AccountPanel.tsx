import { formatDateTime } from '../../../lib/format.ts'
import type { Draft } from '../api/ticket.ts'

type Account = NonNullable<Draft['account']>

/** Why a draft had no account facts, in words (the API's `detail` adds the specifics where it has them). */
const NONE: Record<Exclude<Account['state'], 'read'>, string> = {
  unavailable: 'WHMCS could not be read in time, so the draft was written without the customer’s account.',
  off: 'Account facts are turned off for this desk (Settings → Account facts).',
  no_client: 'The ticket did not come from a WHMCS client, so there was no account to read.',
  not_configured: 'This desk has no WHMCS connection, so there was no account to read.',
}

const WHY: Record<string, string> = {
  named: 'named in the ticket',
  attached: 'the ticket’s service',
  only_service: 'the customer’s only service',
  same_domain: 'the domain the ticket is about',
  renewal: 'due for renewal',
  billing_question: 'the ticket asks about billing',
  fraud: 'flagged as fraud in WHMCS',
  collections: 'in collections in WHMCS',
  client: 'the customer’s account',
}

/**
 * What the draft knew about the customer's WHMCS account (issue 30): each fact it was given, which ones the
 * draft cited, facts shown to agents only (Fraud, Collections), and why there were none when there were none.
 */
export function AccountPanel({ account }: { account: Draft['account'] }) {
  return (
    <section aria-labelledby="account-title" className="account-panel">
      <h3 id="account-title">Account</h3>
      {account ? (
        <AccountFacts account={account} />
      ) : (
        <p className="muted">This draft was made before account facts existed.</p>
      )}
    </section>
  )
}

function AccountFacts({ account }: { account: Account }) {
  if (account.state !== 'read')
    return (
      <p className="notice">
        {NONE[account.state]}
        {account.detail ? ` (${account.detail})` : ''}
      </p>
    )
  const read = `Read from WHMCS ${formatDateTime(account.readAt)}${account.cached ? ' (cached)' : ''}`
  if (account.facts.length === 0)
    return (
      <p className="muted">
        {read}. Nothing in the account concerns this ticket{account.detail ? ` (${account.detail})` : ''}, so
        the draft used no account facts.
      </p>
    )
  // Agents-only flags (no ref) were never given to the model: they are counted apart.
  const given = account.facts.filter((f) => f.ref !== null)
  const cited = given.filter((f) => f.cited).length
  const agentsOnly = account.facts.length - given.length
  return (
    <>
      <p className="muted">
        {read}. {given.length} facts given to the draft, {cited} cited
        {agentsOnly > 0 ? `; ${agentsOnly} shown to agents only` : ''}.
      </p>
      <ul aria-label="Account facts">
        {account.facts.map((f) => (
          <li key={`${f.kind}-${f.whmcsId}-${f.ref ?? 'agents'}`}>
            {f.ref !== null && <span className="kbd">[{f.ref}]</span>} <strong>{f.title}</strong> · {f.status}{' '}
            ·{' '}
            {f.ref === null ? (
              <span className="badge escalated">Shown to agents only</span>
            ) : f.cited ? (
              <span className="badge">Cited</span>
            ) : (
              <span className="muted">Not cited</span>
            )}
            <div className="muted">
              {f.text} ({WHY[f.why] ?? f.why})
            </div>
          </li>
        ))}
      </ul>
    </>
  )
}
