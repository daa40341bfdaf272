/**
 * DuckDB's resources when sluice.yaml sets none for a duckdb or files source. DuckDB's own defaults
 * (80% of RAM, one thread per core) let the sync's extract query (a window and a sort over the whole
 * model) hold the model in memory: ≈ 900 MB peak RSS for the bench's 1M-user initial run, against
 * ≈ 490 MB with these and the V8 flags of bin/sluice.js (bench/README.md, "Memory defaults").
 */
import { availableParallelism } from 'node:os';

/**
 * DuckDB's memory for a database file. The bench's 1M-row extract query needs more than 96MB at two
 * threads; DuckDB spills the rest of the window and the sort to its temp_directory.
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '128MB';

/**
 * The same for the files source: reading Parquet needs more of DuckDB's memory for the same rows (a
 * 2M-row model needs more than 192MB at two threads, and 256MB failed one run in ten,
 * src/sources/duckdb/duckdb-spill.test.ts); the headroom above 320MB, which held, is deliberate.
 */
export const DEFAULT_FILES_MEMORY_LIMIT = '384MB';

/**
 * Two threads at most: the smallest memory limit a query runs in grows with DuckDB's threads, so a
 * fixed default limit needs a fixed thread count (at 8 threads the 128MB above fails). A sync's
 * time goes to JavaScript and the state thread, which two DuckDB threads keep fed.
 */
export function defaultDuckDBThreads(): number {
  return Math.min(2, availableParallelism());
}
