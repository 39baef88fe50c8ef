-- Sessions end when the account changes (issue 26.6): every JWT carries the user's token_version as the
-- `tv` claim, and a request is accepted only while the row still has that version (checked in the query
-- that already re-reads the user's role). A password change, a role change or a (de)activation bumps it in
-- the transaction of the change, so every token issued before it stops at once instead of living out its
-- 8 hours. Tokens issued before this migration carry no claim and count as version 0.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
