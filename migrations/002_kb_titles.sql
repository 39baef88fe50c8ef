-- Knowledge base (issue 3).
-- One live article per title and tenant (case-insensitive; global articles share the NULL tenant): bulk
-- import upserts by title, and a chunk's text starts with its article's title, so two live articles with
-- one title would also collide on chunk hashes. Deleted articles keep their title free for a new one.
CREATE UNIQUE INDEX ux_kb_articles_live_title ON kb_articles (tenant_id, lower(title)) NULLS NOT DISTINCT
  WHERE deleted_at IS NULL;
