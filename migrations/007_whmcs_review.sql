-- Implicit review from WHMCS staff replies, review channels and the panel's actions (issue 10).
--
-- A staff reply sent in WHMCS that answers a customer message with a pending draft is recorded like an API
-- approval: one approved_replies row per (ticket, customer message), as before, so the same WHMCS reply seen
-- by the webhook and again by the sync (or a second staff reply) can never record twice.
--
-- ai_replies.status keeps the API's values (`approved` = approved through the API) and gains the outcomes of
-- a staff reply sent in WHMCS: `sent_as_drafted` (the draft, plus greeting/signature at most),
-- `sent_edited`, and `replaced` (the agent wrote their own answer; stored as a correction).
ALTER TABLE ai_replies DROP CONSTRAINT ai_replies_status_check;
ALTER TABLE ai_replies ADD CONSTRAINT ai_replies_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'superseded', 'sent_as_drafted', 'sent_edited', 'replaced'));

-- Where the draft was decided (approved, rejected, or its outcome in WHMCS); NULL while undecided.
-- shown_*_at: the first time the draft was shown to an agent in that channel (GET /tickets/{id}/drafts,
-- the WHMCS admin panel), for "drafts shown" per channel in analytics.
ALTER TABLE ai_replies
  ADD COLUMN review_channel varchar(16) CHECK (review_channel IN ('api', 'whmcs')),
  ADD COLUMN shown_api_at timestamptz,
  ADD COLUMN shown_whmcs_at timestamptz;
UPDATE ai_replies SET review_channel = 'api' WHERE status IN ('approved', 'rejected');

-- channel: how the approval reached Draftdesk. whmcs_admin: the WHMCS admin who sent the reply.
-- reply_message_id: the agent message that is the sent reply (the WHMCS reply for `whmcs`).
-- learning_text: what the embed worker indexes when it differs from final_reply (the sent reply without the
-- greeting, signature and quoted customer text an agent adds in WHMCS); NULL = final_reply.
ALTER TABLE approved_replies
  ADD COLUMN channel varchar(16) NOT NULL DEFAULT 'api' CHECK (channel IN ('api', 'whmcs')),
  ADD COLUMN whmcs_admin varchar(255),
  ADD COLUMN reply_message_id integer REFERENCES messages(id) ON DELETE SET NULL,
  ADD COLUMN learning_text text;
