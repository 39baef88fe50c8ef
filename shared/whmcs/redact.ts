/**
 * The one rule for keeping WHMCS credentials out of text: the client applies it to whatever WHMCS or a
 * proxy echoes back, and sync and send apply it again before any message reaches a log row or line.
 */

/** The credential fields of a WHMCS connection (shared/identity/tenants.ts `WhmcsCredentials` fits). */
export interface WhmcsSecrets {
  identifier: string
  secret: string
  accessKey?: string | undefined
}

/** `message` with every credential of 4 or more characters replaced by `[redacted]`. */
export function redactSecrets(message: string, creds: WhmcsSecrets): string {
  let out = message
  for (const secret of [creds.identifier, creds.secret, creds.accessKey]) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]')
  }
  return out
}

/** Last line of defence: no credential may reach a log row or a log line, whatever produced the text. */
export function redactCredentials(message: string, creds: WhmcsSecrets): string {
  return redactSecrets(message, creds).slice(0, 2000)
}
