// The DuckDB writeback writer's one-writer rules (service-notes §7): in this process it waits for
// the source's READ_ONLY instance of the file to close; another process's lock is waited out until
// the deadline, then reported; a missing file is reported, never created.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as driver from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WritebackRow } from '../source.js';
import { DuckDBSource } from './duckdb-source.js';
import { DuckDBWritebackWriter } from './duckdb-writeback.js';

let dir: string;
let path: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-duckdb-writeback-'));
  path = join(dir, 'warehouse.duckdb');
  const instance = await driver.DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run('create table users as select i as id from range(1, 5001) t(i)');
  connection.closeSync();
  instance.closeSync();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rows(runId: string, count: number): AsyncIterable<WritebackRow[]> {
  const page = Array.from({ length: count }, (_, i) => ({
    sync: 's',
    run_id: runId,
    key: String(i),
    status: 'succeeded',
    reason: 'new',
    message_id: `m${i}`,
    operation: 'identify',
    payload: JSON.stringify({ type: 'identify', userId: String(i), traits: { note: 'ünïcode \u0000' } }),
    recorded_at: '2026-12-06T18:00:00.000Z',
  }));
  return (async function* () {
    yield page;
  })();
}

async function count(table: string, runId: string): Promise<number> {
  const instance = await driver.DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `select count(*)::integer from ${table} where run_id = '${runId}'`,
    );
    return reader.getRows()[0]?.[0] as number;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('DuckDB writeback', () => {
  it('waits for a run of this process still reading the file, then writes', async () => {
    const source = new DuckDBSource(driver, { type: 'duckdb', path }, { name: 'w', workspaceDir: dir });
    const writer = new DuckDBWritebackWriter(driver, { sourceName: 'w', path, waitMs: 10_000 });
    const stream = source.stream('select * from users', { batchSize: 100 })[Symbol.asyncIterator]();
    await stream.next(); // The source's READ_ONLY instance is open, mid-read.
    let written = false;
    const writing = writer.write({ table: 'log', runId: 'r1', rows: rows('r1', 1200) }).then((n) => {
      written = true;
      return n;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toBe(false);
    await stream.return?.(undefined);
    expect(await writing).toBe(1200);
    expect(await count('log', 'r1')).toBe(1200);
    await source.close();
  });

  it('reports the run still reading when it does not finish in time', async () => {
    const source = new DuckDBSource(driver, { type: 'duckdb', path }, { name: 'w', workspaceDir: dir });
    const writer = new DuckDBWritebackWriter(driver, { sourceName: 'w', path, waitMs: 300 });
    const stream = source.stream('select * from users', { batchSize: 100 })[Symbol.asyncIterator]();
    await stream.next();
    try {
      await expect(writer.write({ table: 'log', runId: 'r2', rows: rows('r2', 1) })).rejects.toMatchObject({
        code: 'source_error',
        message: expect.stringMatching(/table log failed: runs of this process were still reading the file/),
      });
    } finally {
      // Read to the end: a result dropped mid-way keeps DuckDB's file lock until it is collected.
      while (!(await stream.next()).done);
      await source.close();
    }
  });

  it("waits out another process's lock until the deadline, then says so", async () => {
    const holder = await holdFile(path);
    try {
      const writer = new DuckDBWritebackWriter(driver, { sourceName: 'w', path, waitMs: 600 });
      await expect(writer.write({ table: 'log', runId: 'r3', rows: rows('r3', 1) })).rejects.toMatchObject({
        message: expect.stringMatching(/another process kept the file open \(.*Could not set lock/s),
      });
    } finally {
      holder.kill();
    }
  });

  it('reports a missing file instead of creating one', async () => {
    const missing = join(dir, 'nope.duckdb');
    const writer = new DuckDBWritebackWriter(driver, { sourceName: 'w', path: missing });
    await expect(writer.write({ table: 'log', runId: 'r4', rows: rows('r4', 1) })).rejects.toMatchObject({
      message: expect.stringMatching(/does not exist/),
    });
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

/** A child process holding `file` open READ_WRITE until killed; resolves once it holds it. */
function holdFile(file: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(process.argv[1]);
    await db.connect();
    console.log('holding');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, file], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
  });
}
