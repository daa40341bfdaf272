import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Row } from '../core/values.js';
import { createSource } from '../sources/registry.js';
import type { Source } from '../sources/source.js';
import { extractRows, KEY_COUNT_COLUMN, ROW_HASH_COLUMN, ROW_TOTAL_COLUMN, readAhead } from './extract.js';

let dir: string;
let source: Source;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-extract-'));
  source = await createSource({ type: 'files' }, { name: 'files', workspaceDir: dir });
});

afterEach(async () => {
  await source.close();
  await rm(dir, { recursive: true, force: true });
});

async function collect(rows: AsyncIterable<Row[]>): Promise<Row[]> {
  const all: Row[] = [];
  for await (const batch of rows) all.push(...batch);
  return all;
}

describe('extractRows', () => {
  it('streams the model with per-key counts, the total, and a row hash (DuckDB: in its own order, not sorted)', async () => {
    const rows = await collect(
      extractRows(source, 'select * from (values (3, 1), (1, 2), (2, 3), (1, 4)) t(id, v);', 'id', {
        batchSize: 2,
      }),
    );
    const byKey = (a: Row, b: Row) => Number(a.id) - Number(b.id) || Number(a.v) - Number(b.v);
    expect(rows.toSorted(byKey).map((r) => [r.id, r[KEY_COUNT_COLUMN], r[ROW_TOTAL_COLUMN]])).toEqual([
      [1, 2, 4],
      [1, 2, 4],
      [2, 1, 4],
      [3, 1, 4],
    ]);
    expect(rows.every((r) => typeof r[ROW_HASH_COLUMN] === 'string')).toBe(true);
    expect(new Set(rows.map((r) => r[ROW_HASH_COLUMN])).size).toBe(4);
  });

  it('fails with source_error when the warehouse ends the result early without an error', async () => {
    // A warehouse that announces 5 rows and stops after 3, as DuckDB 1.5 can when out of memory.
    const truncating: Source = {
      type: 'truncating',
      // A server engine's shape: no probe of the model before the extract.
      capabilities: { ...source.capabilities, inProcess: false },
      async *stream() {
        yield [1, 2, 3].map((id) => ({ id, [KEY_COUNT_COLUMN]: 1, [ROW_TOTAL_COLUMN]: 5 }));
      },
      check: async () => {},
      close: async () => {},
    };
    const rows = extractRows(truncating, 'select 1', 'id', { batchSize: 10 });
    await expect(collect(rows)).rejects.toMatchObject({
      code: 'source_error',
      message: expect.stringContaining('after 3 of its 5 rows'),
    });
  });

  it('does not call a stream stopped by the caller truncated', async () => {
    const controller = new AbortController();
    const stopped: Source = {
      type: 'stopped',
      capabilities: { ...source.capabilities, inProcess: false },
      async *stream() {
        yield [{ id: 1, [KEY_COUNT_COLUMN]: 1, [ROW_TOTAL_COLUMN]: 5 }];
        controller.abort();
      },
      check: async () => {},
      close: async () => {},
    };
    const rows = await collect(
      extractRows(stopped, 'select 1', 'id', { batchSize: 10, signal: controller.signal }),
    );
    expect(rows).toHaveLength(1);
  });
});

describe("DuckDB's extract", () => {
  it('streams a model larger than memory_limit without holding it: nothing spilled, duplicates and total right', async () => {
    // 2M rows of ≈ 80 bytes (≈ 160 MB), ids 1…10 all reading 1. At this limit a per-key window and
    // a sort over them spill (src/sources/duckdb/duckdb-spill.test.ts); the extract must not need to.
    const warehouse = await createSource(
      { type: 'duckdb', path: ':memory:', memoryLimit: '128MB', threads: 2 },
      { name: 'warehouse', workspaceDir: dir },
    );
    try {
      const model = `select case when i <= 10 then 1 else i end as id, 'user-' || i || repeat('x', 60) as payload
        from range(1, 2000001) t(i)`;
      const spilledSql = 'select count(*)::integer as files from duckdb_temporary_files()';
      let rows = 0;
      let duplicates = 0;
      let wrongTotal = 0;
      let spilled = 0;
      for await (const batch of extractRows(warehouse, model, 'id', { batchSize: 5000 })) {
        for (const row of batch) {
          if (row[KEY_COUNT_COLUMN] !== 1) duplicates += row[KEY_COUNT_COLUMN] === 10 ? 1 : 1_000_000;
          if (Number(row[ROW_TOTAL_COLUMN]) !== 2_000_000) wrongTotal++;
        }
        rows += batch.length;
        if (rows % 500_000 === 0) {
          for await (const found of warehouse.stream(spilledSql, { batchSize: 1 }))
            spilled += Number(found[0]?.files);
        }
      }
      expect({ rows, duplicates, wrongTotal, spilled }).toEqual({
        rows: 2_000_000,
        duplicates: 10,
        wrongTotal: 0,
        spilled: 0,
      });
    } finally {
      await warehouse.close();
    }
  });
});

describe('readAhead', () => {
  async function* numbers(log: string[], count: number, fail?: number): AsyncGenerator<number> {
    try {
      for (let i = 1; i <= count; i++) {
        log.push(`read ${i}`);
        if (i === fail) throw new Error(`read ${i} failed`);
        yield i;
      }
    } finally {
      log.push('closed');
    }
  }

  it('yields every batch in order, having asked for the next one before handing out the current', async () => {
    const log: string[] = [];
    for await (const n of readAhead(numbers(log, 3))) log.push(`use ${n}`);
    // The source ends (and closes) while the last batch is still being used.
    expect(log).toEqual(['read 1', 'read 2', 'use 1', 'read 3', 'use 2', 'closed', 'use 3']);
  });

  it('closes the source when the caller stops early, and passes a read error on', async () => {
    const log: string[] = [];
    for await (const n of readAhead(numbers(log, 5))) if (n === 2) break;
    expect(log.at(-1)).toBe('closed');
    expect(log).not.toContain('read 5');
    const failing = async () => {
      for await (const _ of readAhead(numbers([], 5, 3))) {
        // consume
      }
    };
    await expect(failing()).rejects.toThrow('read 3 failed');
  });
});
