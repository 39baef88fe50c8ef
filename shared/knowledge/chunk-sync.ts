/**
 * Writing one source's chunks into `kb_chunks`: the rules of the module comment in indexer.ts (insert,
 * archive, restore, re-embed, share), the embedding that runs before the write transaction, and the
 * retry when the source changes while it is being embedded. indexer.ts says what a source is.
 */
import pgvector from 'pgvector'
import type { AiProvider } from '../ai/provider.ts'
import type { SourceKind } from '../api/kb.ts'
import type { Db } from '../db/sql.ts'
import type { Chunk } from './chunk.ts'

/** The source a set of chunks belongs to. */
export interface ChunkOwner {
  /** `kb_chunks.source`: `kb_article:<id>` or `approved_reply:<id>`. */
  source: string
  sourceKind: SourceKind
  articleId: number | null
  approvedReplyId: number | null
  /** Stamped on rows this indexing inserts or revives. */
  version: number
  /** Merged into every row's `metadata_json`. */
  metadata: Record<string, unknown>
}

/** What one indexing changed. All zeros means the index already matched the source. */
export interface SyncResult {
  inserted: number
  archived: number
  restored: number
  reembedded: number
  /** Chunks whose text another live source of the tenant already owns (stored once, kept there). */
  shared: number
  /** Current chunks of the source after the sync. */
  current: number
}

export interface IndexResult extends SyncResult {
  status: 'indexed' | 'archived' | 'missing'
  /** True when this call wrote anything (rows or the article's flags). */
  changed: boolean
}

/** Rows per INSERT: 10 parameters each keeps a batch far below Postgres' 65 535-parameter limit. */
const INSERT_BATCH = 200
const INSERT_COLUMNS = [
  'tenant_id',
  'source_kind',
  'source',
  'article_id',
  'approved_reply_id',
  'chunk_index',
  'chunk',
  'chunk_hash',
  'embedding_vector',
  'metadata_json',
  'version',
] as const
/** Attempts when the source keeps changing under the indexer before the job is failed (and retried). */
const MAX_RACES = 3

/** A desired chunk the indexer has no vector for: the source changed between embedding and writing. */
export class SourceChangedError extends Error {}

type Vectors = Map<string, number[]>

/**
 * A chunk to index. `embedText`, when set, is what its vector is computed from instead of `text`: an
 * approved reply is stored and shown as the staff's reply only, while the customer's question still steers
 * which questions find it (shared/knowledge/indexer.ts).
 */
export type IndexChunk = Chunk & { embedText?: string }

interface ExistingRow {
  id: number
  chunkHash: string
  source: string
  isCurrent: boolean
  chunkIndex: number
  embedModel: string | null
}

/** Chunks with a unique hash each; a section repeated inside one article is stored once. */
export function uniqueChunks(chunks: Chunk[]): Chunk[] {
  const seen = new Set<string>()
  return chunks.filter((c) => {
    if (seen.has(c.hash)) return false
    seen.add(c.hash)
    return true
  })
}

/**
 * Embeds (kind 'document') the chunks that have no stored vector from the current model. Read before the
 * transaction, so it may embed a little too much under a race, never too little (the write re-checks).
 */
export async function embedMissing(
  sql: Db,
  ai: AiProvider,
  tenantId: number | null,
  chunks: IndexChunk[],
): Promise<Vectors> {
  const vectors: Vectors = new Map()
  if (chunks.length === 0) return vectors
  const stored = await sql<{ chunkHash: string }[]>`
    SELECT chunk_hash FROM kb_chunks
    WHERE tenant_id IS NOT DISTINCT FROM ${tenantId} AND chunk_hash IN ${sql(chunks.map((c) => c.hash))}
      AND embedding_vector IS NOT NULL AND metadata_json->>'embedModel' = ${ai.embedModel}`
  const have = new Set(stored.map((r) => r.chunkHash))
  const todo = chunks.filter((c) => !have.has(c.hash))
  if (todo.length === 0) return vectors
  const embedded = await ai.embed(
    todo.map((c) => c.embedText ?? c.text),
    'document',
  )
  todo.forEach((c, i) => {
    const v = embedded[i]
    if (!v) throw new Error(`the AI provider returned ${embedded.length} vectors for ${todo.length} texts`)
    vectors.set(c.hash, v)
  })
  return vectors
}

/**
 * Makes the rows of `owner` in `tenantId`'s scope equal to `chunks` (see the module comment). Must run in
 * a transaction; `vectors` must hold every chunk that needs a new or re-embedded vector, else
 * `SourceChangedError`. With no chunks it archives all of the source's rows and needs no model at all,
 * which is why deleting an article can archive synchronously.
 */
export async function syncSourceChunks(
  tx: Db,
  tenantId: number | null,
  owner: ChunkOwner,
  chunks: Chunk[],
  vectors: Vectors,
  embedModel: string,
): Promise<SyncResult> {
  const result = emptySync()
  const hashes = chunks.map((c) => c.hash)
  // FOR UPDATE: two jobs for one source (a quick double edit) serialise here instead of interleaving.
  const existing = await tx<ExistingRow[]>`
    SELECT id, chunk_hash, source, is_current, chunk_index, metadata_json->>'embedModel' AS embed_model
    FROM kb_chunks
    WHERE tenant_id IS NOT DISTINCT FROM ${tenantId}
      AND (source = ${owner.source} ${hashes.length ? tx`OR chunk_hash IN ${tx(hashes)}` : tx``})
    FOR UPDATE`
  const byHash = new Map(existing.map((r) => [r.chunkHash, r]))
  const write: ChunkWrite = { tx, tenantId, owner, vectors, embedModel }

  const inserts: Array<Record<string, unknown>> = []
  for (const chunk of chunks) {
    const row = byHash.get(chunk.hash)
    if (!row) inserts.push(newRow(write, chunk))
    else await reuseRow(write, chunk, row, result)
  }
  for (let i = 0; i < inserts.length; i += INSERT_BATCH) {
    const batch = inserts.slice(i, i + INSERT_BATCH)
    await tx`
      INSERT INTO kb_chunks ${tx(batch as never, ...INSERT_COLUMNS)}`
    result.inserted += batch.length
    result.current += batch.length
  }

  const wanted = new Set(hashes)
  const gone = existing.filter((r) => r.source === owner.source && r.isCurrent && !wanted.has(r.chunkHash))
  if (gone.length) {
    await tx`
      UPDATE kb_chunks SET is_current = false, archived_at = now(), updated_at = now()
      WHERE id IN ${tx(gone.map((r) => r.id))}`
    result.archived = gone.length
  }
  return result
}

/** What writing one source's chunks needs, whichever row a chunk gets. */
interface ChunkWrite {
  tx: Db
  tenantId: number | null
  owner: ChunkOwner
  vectors: Vectors
  embedModel: string
}

const vectorOf = (w: ChunkWrite, hash: string) => {
  const v = w.vectors.get(hash)
  if (!v) throw new SourceChangedError(`no embedding for chunk ${hash.slice(0, 12)}`)
  return pgvector.toSql(v) as string
}

const metadataOf = (w: ChunkWrite, c: Chunk) => ({
  ...w.owner.metadata,
  heading: c.heading,
  tokens: c.tokens,
  embedModel: w.embedModel,
})

/** The row of a chunk text this tenant has never stored, for the multi-row insert. */
function newRow(w: ChunkWrite, chunk: Chunk): Record<string, unknown> {
  return {
    tenant_id: w.tenantId,
    source_kind: w.owner.sourceKind,
    source: w.owner.source,
    article_id: w.owner.articleId,
    approved_reply_id: w.owner.approvedReplyId,
    chunk_index: chunk.index,
    chunk: chunk.text,
    chunk_hash: chunk.hash,
    embedding_vector: vectorOf(w, chunk.hash),
    metadata_json: w.tx.json(metadataOf(w, chunk) as never),
    version: w.owner.version,
  }
}

/**
 * A chunk text the tenant already stores: left with another live source, kept as it is, or revived,
 * re-embedded or moved to its new position (counted in `result`).
 */
async function reuseRow(w: ChunkWrite, chunk: Chunk, row: ExistingRow, result: SyncResult): Promise<void> {
  const { tx, owner } = w
  const ours = row.source === owner.source
  if (!ours && row.isCurrent) {
    result.shared++
    return
  }
  const stale = row.embedModel !== w.embedModel
  if (ours && row.isCurrent && !stale && row.chunkIndex === chunk.index) {
    result.current++
    return
  }
  // Revive an archived row (ours or left behind by another source), re-embed one from another model,
  // or move a chunk whose position changed. Only `ours && isCurrent` keeps its version.
  const revive = !row.isCurrent
  await tx`
    UPDATE kb_chunks SET
      source = ${owner.source}, source_kind = ${owner.sourceKind}, article_id = ${owner.articleId},
      approved_reply_id = ${owner.approvedReplyId}, chunk_index = ${chunk.index},
      metadata_json = ${tx.json(metadataOf(w, chunk) as never)},
      is_current = true, archived_at = NULL, updated_at = now()
      ${revive ? tx`, version = ${owner.version}` : tx``}
      ${stale ? tx`, embedding_vector = ${vectorOf(w, chunk.hash)}::vector` : tx``}
    WHERE id = ${row.id}`
  if (revive) result.restored++
  if (stale) result.reembedded++
  result.current++
}

export const changedAnything = (r: SyncResult) => r.inserted + r.archived + r.restored + r.reembedded > 0

export const emptySync = (): SyncResult => ({
  inserted: 0,
  archived: 0,
  restored: 0,
  reembedded: 0,
  shared: 0,
  current: 0,
})

/**
 * Runs `attempt` (read, embed, then write in a transaction that re-checks the source) until it finishes
 * without the source changing under it, at most MAX_RACES times; the job is failed (and retried) after.
 */
export async function retryWhileSourceChanges<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let race = 0; race < MAX_RACES; race++) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof SourceChangedError)) throw error
      // Edited while we embedded: go again with what is there now (the edit's own job will find no work).
    }
  }
  throw new Error(`${what} kept changing while it was being indexed; will retry`)
}
