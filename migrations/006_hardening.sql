-- Hardening after the adversarial pass (issue 13).

-- Login throttle per (tenant slug, email), whether or not that account exists, so the lockout answers a
-- real and an unknown email alike. Keyed on the slug as typed rather than tenant_id: an unknown slug must
-- be throttled (and answered) exactly like a known one. An attempt is reserved here with one atomic
-- upsert before the password is compared, so parallel requests cannot evaluate more than the limit.
CREATE TABLE login_throttle (
  tenant_slug   varchar(100) NOT NULL,
  email         varchar(255) NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,   -- attempts since the last success or lock expiry
  locked_until  timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_slug, email)
);
-- The per-user counters this table replaces (they were read, then written: racy, and only for real users).
ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- Webhook replay: the same signed bytes must never act twice, whatever X-Draftdesk-Event-Id says. The
-- digest of each accepted signature is kept with its event; a v1 signature (which does not cover the event
-- id) replayed under a fresh id hits this index and is answered as a duplicate.
ALTER TABLE webhook_events ADD COLUMN signature_digest char(64);
CREATE UNIQUE INDEX ux_webhook_events_signature ON webhook_events (tenant_id, signature_digest)
  WHERE signature_digest IS NOT NULL;
