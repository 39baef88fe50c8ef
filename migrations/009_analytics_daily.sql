-- Daily review figures for GET /analytics/summary (issue 12: 90 days at 100k drafts in ≤ 150 ms).
--
-- analytics_daily holds one row per (tenant, UTC day of the draft's created_at): the additive figures of
-- that day's drafts per prompt version (counts, sums, value counts; shared/services/analytics-daily.ts
-- says what is in them). A summary reads the whole days of its window from here and computes only the
-- partial days at its edges from ai_replies. `json`, not `jsonb`: the rows are written whole and read
-- whole, and json's output is the stored text, where jsonb's would be re-serialised on every read.
CREATE TABLE analytics_daily (
  tenant_id    integer NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  day          date NOT NULL,
  figures      json NOT NULL,
  refreshed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, day)
);

-- Days whose figures no longer match their drafts. Triggers add a row in the transaction of every change
-- to ai_replies or approved_replies, whichever code path made it, so no writer can forget; a summary
-- recomputes the stale days of its window from the source rows before it reads (refreshDays in
-- analytics-daily.ts), so a replayed or duplicated write can only cause one more recomputation, never a
-- double count. Append-only on purpose: a writer never updates or locks an existing row, so concurrent
-- writers never wait on each other here, and a refresh deletes exactly the rows its snapshot saw, whose
-- changes the recomputation that follows is sure to see (a mark committed later stays for the next one).
-- No foreign key: a tenant's cascading delete fires these triggers too.
CREATE TABLE analytics_stale_days (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id integer NOT NULL,
  day       date NOT NULL
);
CREATE INDEX ix_analytics_stale_days_tenant ON analytics_stale_days (tenant_id, day);

-- Statement-level with transition tables, so a bulk insert adds one row per day it touched, not per draft.
CREATE FUNCTION analytics_mark_drafts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_stale_days (tenant_id, day)
    SELECT DISTINCT tenant_id, (created_at AT TIME ZONE 'UTC')::date FROM new_rows ORDER BY 1, 2;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO analytics_stale_days (tenant_id, day)
    SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date FROM new_rows
    UNION SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date FROM old_rows ORDER BY 1, 2;
  ELSE
    INSERT INTO analytics_stale_days (tenant_id, day)
    SELECT DISTINCT tenant_id, (created_at AT TIME ZONE 'UTC')::date FROM old_rows ORDER BY 1, 2;
  END IF;
  RETURN NULL;
END $$;

-- An approval counts in the day of its draft.
CREATE FUNCTION analytics_mark_approvals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_stale_days (tenant_id, day)
    SELECT DISTINCT d.tenant_id, (d.created_at AT TIME ZONE 'UTC')::date
    FROM new_rows a JOIN ai_replies d ON d.id = a.ai_reply_id ORDER BY 1, 2;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO analytics_stale_days (tenant_id, day)
    SELECT DISTINCT d.tenant_id, (d.created_at AT TIME ZONE 'UTC')::date
    FROM (SELECT ai_reply_id FROM new_rows UNION SELECT ai_reply_id FROM old_rows) a
    JOIN ai_replies d ON d.id = a.ai_reply_id ORDER BY 1, 2;
  ELSE
    INSERT INTO analytics_stale_days (tenant_id, day)
    SELECT DISTINCT d.tenant_id, (d.created_at AT TIME ZONE 'UTC')::date
    FROM old_rows a JOIN ai_replies d ON d.id = a.ai_reply_id ORDER BY 1, 2;
  END IF;
  RETURN NULL;
END $$;

-- A trigger with transition tables takes one event (a Postgres rule), hence three per table.
CREATE TRIGGER ai_replies_analytics_insert AFTER INSERT ON ai_replies
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_drafts();
CREATE TRIGGER ai_replies_analytics_update AFTER UPDATE ON ai_replies
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_drafts();
CREATE TRIGGER ai_replies_analytics_delete AFTER DELETE ON ai_replies
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_drafts();
CREATE TRIGGER approved_replies_analytics_insert AFTER INSERT ON approved_replies
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_approvals();
CREATE TRIGGER approved_replies_analytics_update AFTER UPDATE ON approved_replies
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_approvals();
CREATE TRIGGER approved_replies_analytics_delete AFTER DELETE ON approved_replies
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_approvals();

-- Backfill: every existing tenant-day starts stale, so the first summary over it computes it from its drafts.
INSERT INTO analytics_stale_days (tenant_id, day)
SELECT DISTINCT tenant_id, (created_at AT TIME ZONE 'UTC')::date FROM ai_replies ORDER BY 1, 2;
