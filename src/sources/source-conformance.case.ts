/**
 * The shared source conformance suite (hono's `common.case.test.ts` habit): every source runs these
 * same assertions against the same `users` fixture (source-conformance-fixture.ts), so rows read the
 * same whatever engine they came from. An engine's test file calls `describeSourceConformance` with a
 * setup that creates the fixture table and returns a source over it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError, type SluiceError } from '../core/errors.js';
import type { Row } from '../core/values.js';
import type { Source } from './source.js';
import { expectedUsers, type FixtureEngine, usersColumnsFor } from './source-conformance-fixture.js';

export interface ConformanceSubject {
  /** A source whose database holds the fixture table `users`. */
  source: Source;
  /** Which DDL the table was created with: decides the expected columns. */
  engine: FixtureEngine;
  /** The source's name in its SourceContext: error messages must carry it. */
  name: string;
  /**
   * What the queries read from in place of the table `users`, e.g. `read_parquet('users.parquet')`
   * for a files source; the quoted `users` table when absent.
   */
  relation?: string;
  /** Removes what setup made (temp folders, databases); the suite closes the source itself. */
  cleanup?(): Promise<void>;
}

/** Collects every batch of a stream. */
export async function collectBatches(
  source: Source,
  sql: string,
  batchSize: number,
  signal?: AbortSignal,
): Promise<Row[][]> {
  const batches: Row[][] = [];
  for await (const batch of source.stream(sql, { batchSize, signal })) batches.push(batch);
  return batches;
}

/** Runs the conformance suite over the source `setup` returns. */
export function describeSourceConformance(name: string, setup: () => Promise<ConformanceSubject>): void {
  describe(`source conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    let source: Source;
    let expected: Row[];
    let q: (name: string) => string;
    let users: string;
    let selectAll: string;

    beforeAll(async () => {
      subject = await setup();
      source = subject.source;
      expected = expectedUsers(subject.engine);
      q = (n) => source.capabilities.quoteIdentifier(n);
      users = subject.relation ?? q('users');
      const columns = usersColumnsFor(subject.engine).map((c) => q(c.name));
      selectAll = `SELECT ${columns.join(', ')} FROM ${users} ORDER BY ${q('id')}`;
    });

    afterAll(async () => {
      await source?.close();
      await subject?.cleanup?.();
    });

    it('passes check()', async () => {
      await expect(source.check()).resolves.toBeUndefined();
    });

    it('yields the fixture rows normalised, columns in query order', async () => {
      const rows = (await collectBatches(source, selectAll, 100)).flat();
      expect(rows).toEqual(expected);
      for (const row of rows) expect(Object.keys(row)).toEqual(Object.keys(expected[0] as Row));
    });

    it('reports the result columns once, with or without rows (onColumns)', async () => {
      const names = usersColumnsFor(subject.engine).map((c) => c.name);
      for (const sql of [selectAll, `SELECT * FROM (${selectAll}) ${q('t')} LIMIT 0`]) {
        const reported: string[][] = [];
        for await (const _ of source.stream(sql, {
          batchSize: 100,
          onColumns: (columns) => reported.push(columns.map((c) => c.name)),
        })) {
          expect(reported, 'columns come before the first batch').toHaveLength(1);
        }
        expect(reported).toEqual([names]);
      }
    });

    it('keeps integers exact: beyond 2^53 as decimal strings, safe ones as numbers', async () => {
      const rows = (await collectBatches(source, selectAll, 100)).flat();
      const ids = rows.map((r) => r.id);
      expect(ids).toContain('9007199254740993');
      expect(ids).toContain('-9223372036854775808');
      expect(ids).toContain('9223372036854775807');
      expect(ids).toContain(9007199254740991);
      expect(ids).toContain(-42);
      const big = rows.find((r) => r.id === '9223372036854775807');
      expect(big?.profile).toEqual({ big: '9007199254740993', nested: { ok: true } });
    });

    it('keeps NULL apart from the empty string and from false', async () => {
      const rows = (await collectBatches(source, selectAll, 100)).flat();
      const allNull = rows.find((r) => r.id === 1) as Row;
      for (const [column, value] of Object.entries(allNull)) if (column !== 'id') expect(value).toBeNull();
      expect(rows.find((r) => r.id === '9223372036854775807')?.name).toBe('');
      expect(rows.find((r) => r.id === -42)?.active).toBe(false);
    });

    it('streams in batches of exactly batchSize, the last one shorter', async () => {
      const batches = await collectBatches(source, selectAll, 5);
      expect(batches.map((b) => b.length)).toEqual([5, 5, 2]);
      expect(batches.flat()).toEqual(expected);
      expect((await collectBatches(source, selectAll, 1)).length).toBe(expected.length);
      expect((await collectBatches(source, selectAll, 10_000)).map((b) => b.length)).toEqual([
        expected.length,
      ]);
    });

    it('yields no batch for an empty result', async () => {
      const sql = `SELECT ${q('id')} FROM ${users} WHERE 1 = 0`;
      expect(await collectBatches(source, sql, 5)).toEqual([]);
    });

    it('quotes identifiers so odd column names survive', async () => {
      const odd = 'we"ird `name';
      const rows = (await collectBatches(source, `SELECT ${q('id')} AS ${q(odd)} FROM ${users}`, 50)).flat();
      expect(rows).toHaveLength(expected.length);
      expect(Object.keys(rows[0] as Row)).toEqual([odd]);
    });

    it('stops with SluiceError("interrupted") when the signal aborts mid-stream, and stays usable', async () => {
      const controller = new AbortController();
      const seen: Row[][] = [];
      const run = (async () => {
        for await (const batch of source.stream(selectAll, { batchSize: 2, signal: controller.signal })) {
          seen.push(batch);
          controller.abort();
        }
      })();
      const error = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSluiceError(error) && error.code).toBe('interrupted');
      expect(seen).toHaveLength(1);
      expect((await collectBatches(source, selectAll, 100)).flat()).toEqual(expected);
    });

    it('refuses to start when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      const error = await collectBatches(source, selectAll, 5, controller.signal).catch((e: unknown) => e);
      expect((error as SluiceError).code).toBe('interrupted');
    });

    it('releases the query when the consumer stops early', async () => {
      for await (const batch of source.stream(selectAll, { batchSize: 3 })) {
        expect(batch).toHaveLength(3);
        break;
      }
      expect((await collectBatches(source, selectAll, 100)).flat()).toEqual(expected);
    });

    it('runs two streams at once', async () => {
      const [a, b] = await Promise.all([
        collectBatches(source, selectAll, 4),
        collectBatches(source, selectAll, 7),
      ]);
      expect(a.flat()).toEqual(expected);
      expect(b.flat()).toEqual(expected);
    });

    it('reports a missing table as source_error naming the source and the table', async () => {
      const error = await collectBatches(source, `SELECT * FROM ${q('no_such_table')}`, 5).catch(
        (e: unknown) => e,
      );
      expect(isSluiceError(error)).toBe(true);
      expect((error as SluiceError).code).toBe('source_error');
      expect((error as SluiceError).message).toContain(`source "${subject.name}"`);
      expect((error as SluiceError).message).toContain('no_such_table');
    });

    it('reports a SQL error in the model as source_error naming the source', async () => {
      const error = await collectBatches(source, `SELEC ${q('id')} FROM ${users}`, 5).catch(
        (e: unknown) => e,
      );
      expect(isSluiceError(error) && error.code).toBe('source_error');
      expect((error as SluiceError).message).toContain(`source "${subject.name}"`);
      expect((error as SluiceError).message).toMatch(/syntax|SELEC/i);
      expect((await collectBatches(source, selectAll, 100)).flat()).toEqual(expected);
    });

    it('refuses a result with two columns of the same name, since rows are keyed by name', async () => {
      const sql = `SELECT ${q('id')}, ${q('name')} AS ${q('id')} FROM ${users}`;
      const error = await collectBatches(source, sql, 5).catch((e: unknown) => e);
      expect(isSluiceError(error) && error.code).toBe('source_error');
      expect((error as SluiceError).message).toContain('more than one column named "id"');
    });
  });
}
