-- Learning from staff text only, and public URLs for KB articles (issue 26).
--
-- Until now an approved reply was indexed as one chunk "<customer question>\n\nAnswer: <reply>", titled with
-- the ticket's subject: a customer's text (a phishing "tip" included) became a cited source in other
-- customers' drafts. The indexer now stores the staff's reply only (shared/rag/indexer.ts). What is stored
-- must follow at once, not when each reply happens to be indexed again:
--
-- 1. Every current chunk of an approved reply is archived now, so retrieval stops returning it with this
--    commit. Its chunk_hash is retired too: the indexer revives an archived row whose hash comes back, and
--    no text must ever bring one of these rows back to life (new approved-reply hashes are salted besides).
UPDATE kb_chunks
SET is_current = false,
    archived_at = coalesce(archived_at, now()),
    updated_at = now(),
    chunk_hash = encode(sha256(convert_to('retired by 012:' || id::text || ':' || chunk_hash, 'UTF8')), 'hex')
WHERE source_kind IN ('approved_example', 'correction') OR approved_reply_id IS NOT NULL
   OR source LIKE 'approved\_reply:%';

-- 2. Every approved reply is indexed again with the new rule: one `embed` job each, through the outbox, in
--    the body enqueueApprovedReplyEmbed (shared/queue/jobs.ts) builds. The outbox sweep publishes them
--    (within a minute locally, on Lambda through SQS), and the embed worker re-indexes each reply.
INSERT INTO outbox (tenant_id, queue, body)
SELECT tenant_id, 'embed',
       jsonb_build_object('jobId', gen_random_uuid()::text, 'kind', 'approved_reply',
                          'tenantId', tenant_id, 'approvedReplyId', id)
FROM approved_replies
ORDER BY id;

-- 3. A KB article's public page (optional, http or https: checked by the API), listed with the article's
--    title under "References:" when a reply a customer gets cites it.
ALTER TABLE kb_articles ADD COLUMN public_url varchar(2048);
