-- Account facts (issue 30): drafts that know the customer's WHMCS account.
--
-- whmcs_account_cache keeps one client's account as the draft pipeline read it from WHMCS (the parsed
-- snapshot only: services, domains, unpaid invoices and the client's status, never addresses, phone
-- numbers, payment details, passwords or notes), so drafts in any Lambda container within the tenant's
-- cache time (default 5 minutes) do not ask WHMCS again. Keyed by tenant and WHMCS client id: two tenants'
-- WHMCS installs number their clients independently.
CREATE TABLE whmcs_account_cache (
  tenant_id  integer NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  client_id  integer NOT NULL,
  snapshot   jsonb NOT NULL,
  fetched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, client_id)
);

-- What the draft knew about the account: the facts shown to the model (and cited), when WHMCS was read,
-- or why there were none ("WHMCS did not answer within 3 s"). NULL on drafts made before this migration.
ALTER TABLE ai_replies ADD COLUMN account_facts jsonb;
