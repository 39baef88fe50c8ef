-- The HNSW index on kb_chunks' vectors, rebuilt with 8 links per node instead of pgvector's default 16
-- (issue 12: ingestion ≥ 500 chunks/s). Linking a new vector into the graph, and rewriting its neighbours'
-- link lists, was most of the Postgres CPU an ingested chunk cost: 4.9 → 2.6 ms a chunk with m = 8, while
-- halving the build's candidate list (ef_construction 64 → 32) saved nothing measurable (bench/kb.ts,
-- server). The vector leg searches with hnsw.ef_search = 400 and the iterative scan, which keeps recall@10
-- above the 0.95 target on the sparser graph (bench/kb.ts at 10k and 100k chunks; README Benchmarks).
DROP INDEX ix_kb_embedding;
CREATE INDEX ix_kb_embedding ON kb_chunks USING hnsw (embedding_vector vector_cosine_ops) WITH (m = 8);
