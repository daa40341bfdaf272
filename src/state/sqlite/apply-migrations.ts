import { SluiceError } from '../../core/errors.js';
import type { Migration } from './migrations.js';
import type { SqliteDatabase } from './sqlite-database.js';

const createTrackingTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * Brings the database up to the last migration and returns the versions it applied (empty when the
 * schema was already current). All missing migrations are applied in one BEGIN IMMEDIATE
 * transaction: two processes opening a fresh file at once serialise on the write lock, and the
 * second re-reads the applied versions inside it and finds nothing left to do. A failing migration
 * rolls back every step of that call.
 */
export function applyMigrations(
  db: SqliteDatabase,
  migrations: readonly Migration[],
  now: () => Date,
): number[] {
  checkNumbering(migrations);
  // Fast path without the write lock: a reader (e.g. `sluice serve` listing runs) opening while a
  // sync writes a batch should not wait for it just to learn that nothing needs migrating.
  if (pending(readApplied(db), migrations).length === 0) return [];
  return db
    .transaction(() => {
      db.exec(createTrackingTable);
      const todo = pending(readApplied(db), migrations);
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      for (const migration of todo) {
        db.exec(migration.sql);
        record.run(migration.version, migration.name, now().toISOString());
      }
      return todo.map((migration) => migration.version);
    })
    .immediate();
}

/** The versions recorded in `schema_migrations`; empty when the table does not exist yet. */
export function readApplied(db: SqliteDatabase): number[] {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (table === undefined) return [];
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
    version: number;
  }[];
  return rows.map((row) => row.version);
}

function pending(applied: readonly number[], migrations: readonly Migration[]): Migration[] {
  const latest = migrations.at(-1)?.version ?? 0;
  const newest = applied.at(-1) ?? 0;
  if (newest > latest) {
    // Running old code against a newer schema could silently misread it: refuse instead.
    throw new SluiceError(
      'state_error',
      `the state database has schema version ${newest}, newer than this Sluice knows (${latest}); upgrade Sluice`,
    );
  }
  const done = new Set(applied);
  return migrations.filter((migration) => !done.has(migration.version));
}

function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}
