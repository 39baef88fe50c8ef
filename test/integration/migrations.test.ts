import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LocalDb } from '../../local/db.ts'
import { loadMigrations, MigrationChecksumError, migrate } from '../../migrations/runner.ts'
import { startTestDb } from '../helpers/db.ts'

describe('Function: migrate', () => {
  let db: LocalDb
  beforeAll(async () => {
    // An empty database on either leg: this file tests the runner itself, not the template's result.
    db = await startTestDb({ empty: true })
  })
  afterAll(async () => db?.close())

  it('applies every migration once; a second run changes nothing', async () => {
    // Act
    const first = await migrate(db.sql)
    const tablesBefore =
      await db.sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`
    const second = await migrate(db.sql)
    // Assess
    const files = await loadMigrations()
    expect(first).toEqual(files.map((f) => f.name))
    expect(second).toEqual([])
    const tablesAfter =
      await db.sql`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`
    expect(tablesAfter).toEqual(tablesBefore)
    const [vector] = await db.sql`SELECT extversion FROM pg_extension WHERE extname = 'vector'`
    expect(vector?.extversion).toMatch(/^0\.[7-9]|^[1-9]/)
    const [hnsw] = await db.sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_kb_embedding'`
    expect(hnsw?.indexdef).toContain('hnsw')
  })

  it('refuses to run when an applied migration file was edited', async () => {
    const files = await loadMigrations()
    const edited = files.map((f, i) => (i === 0 ? { ...f, checksum: 'f'.repeat(64) } : f))
    await expect(migrate(db.sql, edited)).rejects.toBeInstanceOf(MigrationChecksumError)
  })

  it('rolls back a failing migration completely', async () => {
    const files = await loadMigrations()
    const broken = {
      id: 999,
      name: '999_broken.sql',
      checksum: 'a'.repeat(64),
      sql: 'CREATE TABLE half_done (id int); SELECT 1/0;',
    }
    await expect(migrate(db.sql, [...files, broken])).rejects.toThrow(/division by zero/)
    const [t] = await db.sql`SELECT to_regclass('half_done') AS t`
    expect(t?.t).toBeNull()
    const [m] = await db.sql`SELECT count(*)::int AS n FROM schema_migrations WHERE id = 999`
    expect(m?.n).toBe(0)
  })
})
