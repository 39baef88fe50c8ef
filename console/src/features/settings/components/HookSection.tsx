import { useState } from 'react'
import hookSource from '../../../../../integrations/whmcs/draftdesk.php?raw'
import { ErrorNote, Notice } from '../../../components/ui.tsx'
import { useSession } from '../../../lib/session.ts'
import { useRotateWebhookSecret } from '../api/settings.ts'
import { OperatorOnly } from './OperatorOnly.tsx'

/** A file of the build offered as a download (the hook ships inside the console: nothing is fetched). */
function downloadText(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-php' }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  URL.revokeObjectURL(url)
}

/**
 * The PHP hook for WHMCS (`includes/hooks/draftdesk.php`), the constants to define in WHMCS's
 * configuration.php, and the webhook secret's rotation (shown once, then filled into the constants).
 */
export function HookSection() {
  const session = useSession()
  const rotate = useRotateWebhookSecret()
  const [confirm, setConfirm] = useState(false)
  const secret = rotate.data?.webhookSecret
  const constants = [
    `define('DRAFTDESK_URL', '${window.location.origin}');`,
    `define('DRAFTDESK_TENANT', '${session?.tenant ?? ''}');`,
    `define('DRAFTDESK_WEBHOOK_SECRET', '${secret ?? 'the webhook secret'}');`,
    `define('DRAFTDESK_API_KEY', 'an API key with role support_agent (API keys section)');`,
    `define('DRAFTDESK_ADMIN_USERNAME', 'the WHMCS admin approved replies are posted as');`,
  ].join('\n')
  return (
    <>
      <p>
        Copy the hook to <code>includes/hooks/draftdesk.php</code> in WHMCS and define these constants in its{' '}
        <code>configuration.php</code>:
      </p>
      <pre className="code" title="Constants for configuration.php">
        {constants}
      </pre>
      <div className="actions">
        <button type="button" onClick={() => downloadText('draftdesk.php', hookSource)}>
          Download the PHP hook
        </button>
      </div>
      <h3>Webhook secret</h3>
      <OperatorOnly>
        <p className="muted">
          Rotating makes the old secret stop working: paste the new one into WHMCS at once.
        </p>
        {secret && (
          <Notice>
            New webhook secret (shown once): <code>{secret}</code>
          </Notice>
        )}
        <ErrorNote error={rotate.error} prefix="Not rotated" />
        {confirm ? (
          <button
            type="button"
            className="danger"
            onClick={() => rotate.mutate(undefined, { onSuccess: () => setConfirm(false) })}
          >
            Rotate now
          </button>
        ) : (
          <button type="button" onClick={() => setConfirm(true)}>
            Rotate the webhook secret…
          </button>
        )}
      </OperatorOnly>
    </>
  )
}
