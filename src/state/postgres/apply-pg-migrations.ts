import { SluiceError } from '../../core/errors.js';
import type { PgMigration } from './pg-migrations.js';
import type { PgPoolLike, PgQueryable } from './pg-pool.js';

/**
 * Brings the state schema up to the last migration and returns the versions it applied (empty when
 * it was current). Missing migrations are applied in one transaction holding a transaction-level
 * advisory lock named after the schema: stores opening a fresh database at once queue on it, and
 * each re-reads the applied versions inside it, so only the first one migrates. A failing migration
 * rolls back every step of the call. A schema newer than `migrations` is refused.
 */
export async function applyPgMigrations(
  pool: PgPoolLike,
  schema: string,
  migrations: readonly PgMigration[],
  now: () => Date,
): Promise<number[]> {
  checkNumbering(migrations);
  // Fast path without the lock: opening an up-to-date store (every CLI call) takes one query.
  if (pending(await readApplied(pool, schema), migrations).length === 0) return [];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice state schema ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`,
    );
    const todo = pending(await readApplied(client, schema), migrations);
    for (const migration of todo) {
      await client.query(migration.sql);
      await client.query(
        `INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
        [migration.version, migration.name, now().toISOString()],
      );
    }
    await client.query('COMMIT');
    return todo.map((migration) => migration.version);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The versions recorded in the schema's `schema_migrations`; empty when it does not exist yet. */
export async function readApplied(db: PgQueryable, schema: string): Promise<number[]> {
  const exists = await db.query<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [
    `${schema}.schema_migrations`,
  ]);
  if (exists.rows[0]?.table == null) return [];
  const rows = await db.query<{ version: number }>(
    `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
  );
  return rows.rows.map((row) => row.version);
}

function pending(applied: readonly number[], migrations: readonly PgMigration[]): PgMigration[] {
  const latest = migrations.at(-1)?.version ?? 0;
  const newest = applied.at(-1) ?? 0;
  if (newest > latest) {
    // Running old code against a newer schema could silently misread it: refuse instead.
    throw new SluiceError(
      'state_error',
      `the state schema has version ${newest}, newer than this Sluice knows (${latest}); upgrade Sluice`,
    );
  }
  const done = new Set(applied);
  return migrations.filter((migration) => !done.has(migration.version));
}

function checkNumbering(migrations: readonly PgMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}
