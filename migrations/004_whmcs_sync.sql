-- WHMCS integration (issue 5).
--
-- tickets.whmcs_synced_at: when a scheduled sync last saw the ticket in GetTickets. A sweep that lists
-- only active tickets never sees a ticket that was closed in WHMCS; tickets still active here but not seen
-- since the sweep began are re-read with GetTicket at the end of the sweep, so WHMCS stays the source of
-- truth without webhooks.
ALTER TABLE tickets ADD COLUMN whmcs_synced_at timestamptz;
CREATE INDEX ix_tickets_whmcs_unseen ON tickets (tenant_id, whmcs_synced_at)
  WHERE whmcs_ticket_id IS NOT NULL AND status NOT IN ('closed', 'resolved');

-- whmcs_sends.claimed_at: when a worker took the row to call AddTicketReply. A `sending` row older than
-- the stale limit belongs to a worker that died; the next delivery re-checks WHMCS before posting again.
ALTER TABLE whmcs_sends ADD COLUMN claimed_at timestamptz;

-- The latest run of one tenant's sync is looked up on every run (resume point, concurrency guard).
CREATE INDEX ix_sync_logs_tenant_system ON integration_sync_logs (tenant_id, system, direction, id DESC);
