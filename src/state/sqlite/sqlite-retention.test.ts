import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../core/run.js';
import { applyMigrations } from './apply-migrations.js';
import { sqliteMigrations } from './migrations.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import { ThreadedStateStore } from './threaded-state-store.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-retention-'));
  file = join(dir, 'a', 'b', 'state.db');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The state's bytes on disk: the database and its WAL (where recent writes sit until a checkpoint). */
const sizeOnDisk = async (path: string) =>
  (await stat(path)).size +
  (await stat(`${path}-wal`).then(
    (s) => s.size,
    () => 0,
  ));

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('the state folder and files (SPEC §3: the owner only)', () => {
  it('makes the folders it creates 0700 and the database, -wal and -shm 0600, through the thread too', async () => {
    const store = await ThreadedStateStore.open(file);
    await store.runs.start({ sync: 's', fullResync: false, startedAt: '2025-01-01T00:00:00.000Z' });
    expect(await modeOf(join(dir, 'a'))).toBe(0o700);
    expect(await modeOf(join(dir, 'a', 'b'))).toBe(0o700);
    for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(await modeOf(path)).toBe(0o600);
    await store.close();
  });

  it('leaves a folder it did not make alone, and narrows a state file made with wider modes', async () => {
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await chmod(dirname(file), 0o755);
    await writeFile(file, '', { mode: 0o644 });
    await chmod(file, 0o644);
    const store = await SqliteStateStore.open(file);
    await store.workspaceId();
    expect(await modeOf(dirname(file))).toBe(0o755);
    expect(await modeOf(file)).toBe(0o600);
    await store.close();
  });
});

describe('SqliteStateStore.prune', () => {
  it('gives the freed space back to the file system when asked to reclaim it', async () => {
    const store = await SqliteStateStore.open(file);
    const payload = JSON.stringify({ traits: { padding: 'x'.repeat(2_000) } });
    for (let run = 0; run < 3; run++) {
      const runId = await store.runs.start({
        sync: 's',
        fullResync: false,
        startedAt: `2025-01-0${run + 1}T00:00:00.000Z`,
      });
      const results = Array.from({ length: 2_000 }, (_, i) => ({
        key: `k${i}`,
        hash: `h${run}`,
        sourceHash: `s${run}`,
        generation: run + 1,
        messageId: `m${run}-${i}`,
        payload,
        reason: 'changed',
        status: 'succeeded' as const,
        error: null,
      }));
      await store.ledger.recordDeliveries('s', runId, results);
      await store.runs.finish(runId, {
        status: 'completed',
        counts: emptyCounts(),
        finishedAt: '2025-01-05T00:00:00.000Z',
        error: null,
      });
    }
    const before = await sizeOnDisk(file);
    // Without reclaiming, the space is freed for reuse: the file keeps its size.
    const freed = await store.prune({ before: '2025-01-03T00:00:00.000Z', reclaim: false });
    expect(freed).toMatchObject({ runs: 2, records: 4_000, reclaimed: false });
    expect(freed!.bytesFreed).toBeGreaterThan(before * 0.4);
    expect(await sizeOnDisk(file)).toBeGreaterThanOrEqual(before);
    // Reclaiming later gives it back, and says by how much the file shrank.
    const result = await store.prune({ before: '2025-01-03T00:00:00.000Z', reclaim: true });
    const after = await sizeOnDisk(file);
    expect(result).toMatchObject({ runs: 0, records: 0, reclaimed: true });
    // Two of three runs' records went: the file is well under its size before.
    expect(after).toBeLessThan(before * 0.6);
    expect(result!.bytesFreed).toBeGreaterThan((before - after) * 0.8);
    expect((await stat(`${file}-wal`)).size).toBe(0);
    expect((await store.ledger.deliveredPayloads('s', ['k0'])).get('k0')).toBe(payload);
    await store.close();
  });

  it('keeps the payloads of records moved over by migration 5, pointed at without an index', async () => {
    await mkdir(dirname(file), { recursive: true });
    const old = new Database(file);
    applyMigrations(old, sqliteMigrations.slice(0, 4), () => new Date());
    old.exec(`INSERT INTO runs (seq, run_id, sync, status, full_resync, counts, started_at)
              VALUES (1, 'r_old', 's', 'completed', 0, '{}', '2025-01-01T00:00:00.000Z')`);
    old
      .prepare(
        `INSERT INTO run_records (seq, run_seq, key, status, reason, message_id, payload)
         VALUES (7, 1, 'u1', 'succeeded', 'new', 'm1', '{"userId":"u1","traits":{"name":"🦆"}}')`,
      )
      .run();
    old
      .prepare(
        `INSERT INTO key_states (sync, key, generation, delivered_hash, delivered_message_id, delivered_record)
         VALUES ('s', 'u1', 1, 'h1', 'm1', 7)`,
      )
      .run();
    old.close();
    const store = await SqliteStateStore.open(file);
    const before = await store.ledger.deliveredPayloads('s', ['u1']);
    expect(before.get('u1')).toBe('{"userId":"u1","traits":{"name":"🦆"}}');
    expect(await store.prune({ before: '2025-02-01T00:00:00.000Z', reclaim: false })).toMatchObject({
      runs: 1,
      records: 1,
    });
    expect((await store.runs.records('r_old', { limit: 10 })).items).toEqual([]);
    expect(await store.ledger.deliveredPayloads('s', ['u1'])).toEqual(before);
    await store.close();
  });
});
