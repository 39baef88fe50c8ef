-- Review and analytics (issue 6).
-- Analytics join each window's drafts to their approvals; a short window then looks approvals up by draft
-- instead of hashing every approval the tenant ever made.
CREATE INDEX ix_approved_replies_ai_reply ON approved_replies (tenant_id, ai_reply_id);
-- GET /audit?entityType= pages newest first within one entity type (the action filter has its index in 001).
CREATE INDEX ix_audit_entity ON audit_logs (tenant_id, entity_type, id DESC);
