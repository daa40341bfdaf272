import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStateStoreConformance } from '../state-store-conformance.case.js';
import { UNCHANGED_KEYS_SQL } from './sqlite-key-states.js';
import { SqliteStateStore } from './sqlite-state-store.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-state-'));
  file = join(dir, 'nested', 'state.db');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStateStoreConformance('sqlite', () => SqliteStateStore.open(file));

/** Runs a Node script in a child process; resolves with its exit signal and stdout. */
function runChild(args: string[], onLine?: (line: string) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line) onLine?.(line);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    },
  );
}

describe('SqliteStateStore', () => {
  it('uses WAL mode and a 16-hex-digit workspace id', async () => {
    const store = await SqliteStateStore.open(file);
    expect(await store.workspaceId()).toMatch(/^[0-9a-f]{16}$/);
    const peek = new Database(file, { readonly: true });
    expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    peek.close();
    await store.close();
    await store.close();
    await expect(store.ledger.countKeys('s')).rejects.toMatchObject({ code: 'state_error' });
  });

  it('still explains keys delivered before the delivered payload moved into run records', async () => {
    const { mkdir } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    const { applyMigrations } = await import('./apply-migrations.js');
    const { sqliteMigrations } = await import('./migrations.js');
    await mkdir(dirname(file), { recursive: true });
    const old = new Database(file);
    applyMigrations(old, sqliteMigrations.slice(0, 2), () => new Date());
    old
      .prepare(
        `INSERT INTO key_states (sync, key, generation, delivered_hash, delivered_payload, delivered_message_id)
         VALUES ('s', 'u1', 1, 'h1', '{"type":"identify","userId":"u1"}', 'm1')`,
      )
      .run();
    // And records written one row each, as before migration 5, a payload with an emoji among them.
    old.exec(`INSERT INTO runs (seq, run_id, sync, status, full_resync, counts, started_at)
              VALUES (1, 'r_old', 's', 'completed', 0, '{}', '2025-01-01T00:00:00.000Z')`);
    const insert = old.prepare(
      'INSERT INTO run_records (run_seq, key, status, reason, message, message_id, payload) VALUES (1, ?, ?, ?, ?, ?, ?)',
    );
    insert.run(null, 'invalid', 'null_key', 'no key', null, null);
    insert.run('u1', 'succeeded', 'new', null, 'm1', '{"userId":"u1","traits":{"name":"🦆 duck"}}');
    insert.run('u2', 'failed', 'new', 'HTTP 500', 'm2', '{"userId":"u2"}');
    old.close();
    const store = await SqliteStateStore.open(file);
    expect(await store.ledger.deliveredPayloads('s', ['u1', 'u2'])).toEqual(
      new Map([['u1', '{"type":"identify","userId":"u1"}']]),
    );
    expect((await store.runs.records('r_old', { limit: 10 })).items).toEqual([
      {
        runId: 'r_old',
        key: null,
        status: 'invalid',
        reason: 'null_key',
        message: 'no key',
        messageId: null,
        payload: null,
      },
      {
        runId: 'r_old',
        key: 'u1',
        status: 'succeeded',
        reason: 'new',
        message: null,
        messageId: 'm1',
        payload: '{"userId":"u1","traits":{"name":"🦆 duck"}}',
      },
      {
        runId: 'r_old',
        key: 'u2',
        status: 'failed',
        reason: 'new',
        message: 'HTTP 500',
        messageId: 'm2',
        payload: '{"userId":"u2"}',
      },
    ]);
    expect(
      (await store.runs.records('r_old', { status: 'failed', limit: 10 })).items.map((r) => r.key),
    ).toEqual(['u2']);
    expect((await store.ledger.keyStates('s', ['u1'])).get('u1')?.deliveredHash).toBe('h1');
    // Migration 9 indexed the records already there: their keys have a history.
    expect((await store.runs.keyHistory('s', 'u1', { limit: 10 })).items).toEqual([
      expect.objectContaining({
        runId: 'r_old',
        status: 'succeeded',
        payload: '{"userId":"u1","traits":{"name":"🦆 duck"}}',
        runStartedAt: '2025-01-01T00:00:00.000Z',
      }),
    ]);
    expect((await store.runs.keyHistory('s', 'u2', { limit: 10 })).items.map((r) => r.status)).toEqual([
      'failed',
    ]);
    await store.close();
  });

  it('answers the diff lookup with one primary-key probe per asked key, never a scan of key_states', async () => {
    // As a plain JOIN the planner chose to scan key_states once per batch: correct answers, and
    // minutes instead of seconds on a million keys, which no functional test notices.
    (await SqliteStateStore.open(file)).close();
    const db = new Database(file);
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${UNCHANGED_KEYS_SQL}`).all('[]', 's') as { detail: string }[]
    )
      .map((row) => row.detail)
      .join('\n');
    db.close();
    expect(plan).toMatch(/SEARCH k USING INDEX sqlite_autoindex_key_states_1 \(sync=\? AND key=\?\)/);
    expect(plan).not.toMatch(/SCAN k\b/);
  });

  it('makes run ids that sort by start time', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const tick = () => {
      clock += 1;
      return new Date(clock);
    };
    const store = await SqliteStateStore.open(file, { now: tick });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(await store.runs.start({ sync: 's', fullResync: false, startedAt: 'x' }));
    expect(ids.every((id) => /^r_[0-9a-z]{9}[0-9a-f]{12}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    await store.close();
  });

  it('refuses a negative limit instead of listing everything', async () => {
    const store = await SqliteStateStore.open(file);
    await expect(store.runs.list({ limit: -1 })).rejects.toMatchObject({ code: 'usage' });
    await expect(store.runs.records('r_x', { limit: 1.5 })).rejects.toMatchObject({ code: 'usage' });
    await store.close();
  });

  it('reports a path it cannot create as a state_error naming the file', async () => {
    await writeFile(join(dir, 'plain-file'), 'not a folder');
    const bad = join(dir, 'plain-file', 'state.db');
    const failure = SqliteStateStore.open(bad);
    await expect(failure).rejects.toMatchObject({ code: 'state_error' });
    await expect(failure).rejects.toThrow(bad);
  });

  it('reports a file that is not a database as a state_error', async () => {
    const junk = join(dir, 'junk.db');
    await writeFile(junk, 'this is not a SQLite file, just some text that is long enough to have a header');
    await expect(SqliteStateStore.open(junk)).rejects.toMatchObject({
      code: 'state_error',
      message: expect.stringContaining('not a SQLite database'),
    });
  });

  it('reports a write lock held too long as a state_error, and waits for a short one', async () => {
    const store = await SqliteStateStore.open(file, { busyTimeoutMs: 50 });
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    await expect(
      store.ledger.savePlanned('s', [{ key: 'k', hash: 'h', messageId: 'm', generation: 1 }]),
    ).rejects.toMatchObject({
      code: 'state_error',
      message: expect.stringContaining('locked by another process'),
    });
    // Readers are not blocked by the writer in WAL mode.
    expect((await store.ledger.countKeys('s')).keys > 0).toBe(false);
    holder.exec('ROLLBACK');
    holder.close();
    await store.close();

    // Another process holds the write lock for 300 ms; the default busy timeout waits it out.
    const patient = await SqliteStateStore.open(file);
    const driver = fileURLToPath(import.meta.resolve('better-sqlite3'));
    const script = `
      const db = new (require(${JSON.stringify(driver)}))(${JSON.stringify(file)});
      db.exec('BEGIN IMMEDIATE');
      console.log('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      db.exec('COMMIT');
      db.close();`;
    let saved: Promise<void> | undefined;
    let startedAt = 0;
    const child = await runChild(['-e', script], (line) => {
      if (line !== 'locked') return;
      startedAt = Date.now();
      saved = patient.ledger.savePlanned('s', [{ key: 'k', hash: 'h', messageId: 'm', generation: 1 }]);
    });
    expect(child.code, child.stderr).toBe(0);
    await saved;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
    expect((await patient.ledger.countKeys('s')).keys > 0).toBe(true);
    await patient.close();
  });

  it('keeps a planned change when the process is killed right after saving it', async () => {
    const storeModule = new URL('./sqlite-state-store.ts', import.meta.url).href;
    const script = `
      const { SqliteStateStore } = await import(${JSON.stringify(storeModule)});
      const store = await SqliteStateStore.open(${JSON.stringify(file)});
      await store.ledger.savePlanned('s', [{ key: 'k1', hash: 'h1', messageId: 'm1', generation: 7 }]);
      process.kill(process.pid, 'SIGKILL');`;
    const child = await runChild(['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const store = await SqliteStateStore.open(file);
    expect((await store.ledger.keyStates('s', ['k1'])).get('k1')).toMatchObject({
      generation: 7,
      pending: { messageId: 'm1', hash: 'h1', attempts: 0 },
    });
    await store.close();
  });
});
