import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations, readApplied } from './apply-migrations.js';
import { type Migration, sqliteMigrations } from './migrations.js';
import { SqliteStateStore } from './sqlite-state-store.js';

let dir: string;
let file: string;
let db: Database.Database;
const now = () => new Date('2025-03-01T00:00:00Z');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-migrations-'));
  file = join(dir, 'state.db');
  db = new Database(file);
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const tables = () =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((row) => row.name);

describe('applyMigrations', () => {
  it('gives a fresh database every migration, once', () => {
    const all = sqliteMigrations.map((migration) => migration.version);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(applyMigrations(db, sqliteMigrations, now)).toEqual(all);
    expect(readApplied(db)).toEqual(all);
    expect(tables()).toEqual([
      'alerts',
      'api_tokens',
      'exchanges',
      'kept_payloads',
      'key_states',
      'locks',
      'meta',
      'notifications',
      'rate_buckets',
      'record_batches',
      'record_keys',
      'runs',
      'schedule_slots',
      'schema_migrations',
    ]);
    expect(db.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'initial', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 2, name: 'locks', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 3, name: 'delivered record', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 4, name: 'delivered source hash', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 5, name: 'record batches', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 6, name: 'removed keys', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 7, name: 'retention', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 8, name: 'rate buckets', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 9, name: 'record keys', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 10, name: 'run queue', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 11, name: 'api tokens', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 12, name: 'schedule slots', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 13, name: 'exchanges', applied_at: '2025-03-01T00:00:00.000Z' },
      { version: 14, name: 'alerts and notifications', applied_at: '2025-03-01T00:00:00.000Z' },
    ]);
    expect(applyMigrations(db, sqliteMigrations, now)).toEqual([]);
  });

  it('applies none twice when a store reopens the file', async () => {
    const first = await SqliteStateStore.open(file);
    await first.close();
    const second = await SqliteStateStore.open(file);
    await second.close();
    const rows = db.prepare('SELECT version FROM schema_migrations').all();
    expect(rows).toHaveLength(sqliteMigrations.length);
  });

  it('applies only the migrations added since the last open', () => {
    const base: Migration[] = [{ version: 1, name: 'one', sql: 'CREATE TABLE one (x)' }];
    expect(applyMigrations(db, base, now)).toEqual([1]);
    const grown = [...base, { version: 2, name: 'two', sql: 'CREATE TABLE two (x)' }];
    expect(applyMigrations(db, grown, now)).toEqual([2]);
    expect(tables()).toEqual(['one', 'schema_migrations', 'two']);
  });

  it('rolls back every step when a migration fails', () => {
    const broken: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE one (x)' },
      { version: 2, name: 'two', sql: 'CREATE TABLE two (x); CREATE TABLE one (y)' },
    ];
    expect(() => applyMigrations(db, broken, now)).toThrow(/already exists/);
    expect(tables()).toEqual([]);
  });

  it('refuses a database migrated by a newer Sluice', () => {
    applyMigrations(db, sqliteMigrations, now);
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x')").run();
    expect(() => applyMigrations(db, sqliteMigrations, now)).toThrow(
      expect.objectContaining({
        code: 'state_error',
        message: expect.stringContaining('schema version 999'),
      }),
    );
  });

  it('refuses migrations numbered out of order', () => {
    const gap: Migration[] = [{ version: 2, name: 'two', sql: 'CREATE TABLE two (x)' }];
    expect(() => applyMigrations(db, gap, now)).toThrow(/expected 1/);
    expect(tables()).toEqual([]);
  });
});
