-- Knowledge coverage (shared/rag/coverage.ts) weighs a query's lexemes by their rarity among the chunks a
-- tenant can retrieve, so every draft counts the tenant's current chunks. Without an index that holds
-- exactly those rows the count read every chunk's heap tuple (vector, text and tsvector: ~8 ms at 10k
-- chunks on the server, a third of the coverage statement); over this partial index it is an index-only
-- scan (~1.7 ms at 10k chunks, bench/drafts.ts). NULL tenant_id (the global KB) is indexed too.
CREATE INDEX ix_kb_current_tenant ON kb_chunks (tenant_id) WHERE is_current;
