// DuckDB work outside Sluice: building the warehouse, changing rows, and two references that say
// where a sync's time could go at best — reading the model (`runSourceRead`) and diffing it inside
// DuckDB (the `diffReference` statements of bench/run.mjs, timed by `runDuckdbJob`).
import { DuckDBInstance } from '@duckdb/node-api';
import { extractRows } from '../../dist/sync/extract.js';

/**
 * Runs `statements` in order on the database file `path` (created if missing) and returns each one's
 * time and the first row of the last one, e.g. a count.
 */
export async function runDuckdbJob({ path, statements, memoryLimit }) {
  const instance = await DuckDBInstance.create(path, memoryLimit ? { memory_limit: memoryLimit } : {});
  const connection = await instance.connect();
  const timings = [];
  let last = null;
  try {
    for (const sql of statements) {
      const started = performance.now();
      const reader = await connection.runAndReadAll(sql);
      timings.push(performance.now() - started);
      last = reader.getRowObjectsJson()[0] ?? null;
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const elapsedMs = timings.reduce((a, b) => a + b, 0);
  return { elapsedMs, timings, last };
}

/**
 * Streams the sync's extract query (the model wrapped with its per-key count, dist/sync/extract.js)
 * through Sluice's DuckDB source into JS rows and drops them: the source-read floor of a sync.
 */
export async function runSourceRead({ path, sql, keyColumn, memoryLimit, batchSize = 2000 }) {
  const [{ DuckDBSource }, driver] = await Promise.all([
    import('../../dist/sources/duckdb/duckdb-source.js'),
    import('@duckdb/node-api'),
  ]);
  const source = new DuckDBSource(
    driver,
    { type: 'duckdb', path, ...(memoryLimit ? { memoryLimit } : {}) },
    { name: 'warehouse', workspaceDir: process.cwd() },
  );
  const started = performance.now();
  let rows = 0;
  try {
    for await (const batch of extractRows(source, sql, keyColumn, { batchSize })) rows += batch.length;
  } finally {
    await source.close();
  }
  return { elapsedMs: performance.now() - started, rows };
}
