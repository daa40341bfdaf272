/**
 * The DuckDB source: an embedded DuckDB database file (or `:memory:`), also behind the `files` source,
 * which reads CSV/Parquet/JSON through DuckDB. Rows come from DuckDB's streaming results, one data
 * chunk (2,048 rows) at a time, so memory stays bounded by the batch size whatever the model returns.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { findDuplicateName } from '../../core/normalise.js';
import { columnValues, isPacked, packColumns, rowsOf } from '../../core/text-columns.js';
import type { Row } from '../../core/values.js';
import type { Source, SourceCapabilities, SourceContext, StreamOptions, TemporaryTable } from '../source.js';
import type {
  DuckDBAppenderLike,
  DuckDBConnectionLike,
  DuckDBDataChunkLike,
  DuckDBDriver,
  DuckDBResultLike,
} from './duckdb-client.js';
import { DuckDBDatabase, interruptUntilSettled } from './duckdb-database.js';
import {
  closedError,
  duplicateColumnError,
  interruptedError,
  queryError,
  resultShapeError,
} from './duckdb-errors.js';
import { loadRawBindings } from './duckdb-raw-bindings.js';
import { duckdbRowHashSql } from './duckdb-row-hash.js';
import { RowReader } from './duckdb-row-reader.js';

/** DuckDB's SQL dialect: standard double-quoted identifiers. */
export const duckdbCapabilities: SourceCapabilities = Object.freeze({
  quoteIdentifier: (name: string) => `"${name.replaceAll('"', '""')}"`,
  inProcess: true,
  rowHashSql: duckdbRowHashSql,
  // The bound is cast to the column's own type: comparing a TIMESTAMP with a TIMESTAMPTZ would go
  // through the session's time zone (the machine's), and Sluice reads TIMESTAMP as UTC.
  cursorCondition: (column: string, type: string | undefined, since: string) => {
    if (type === 'TIMESTAMP WITH TIME ZONE')
      return { sql: `${column} >= CAST($1 AS TIMESTAMPTZ)`, param: since };
    if (
      type === 'TIMESTAMP' ||
      type === 'TIMESTAMP_S' ||
      type === 'TIMESTAMP_MS' ||
      type === 'TIMESTAMP_NS'
    ) {
      return { sql: `${column} >= CAST($1 AS TIMESTAMP)`, param: since.slice(0, -1) };
    }
    if (type === 'DATE') return { sql: `${column} >= CAST($1 AS DATE)`, param: since.slice(0, 10) };
    return `it is ${type ?? 'of an unknown type'}, not a TIMESTAMP, TIMESTAMPTZ or DATE`;
  },
  // The connection's own in-memory catalog of temporary tables.
  temporaryTableSql: (name: string) => `temp.${name}`,
  keyTextSql: (key: string) => `cast(${key} as varchar)`,
});

export interface DuckDBSourceOptions {
  /** "duckdb", or "files" for the in-memory DuckDB that reads workspace files. */
  type: 'duckdb' | 'files';
  /** The database file (absolute, or relative to the workspace folder), or ":memory:". */
  path: string;
  /** DuckDB's `memory_limit`, e.g. "2GB"; DuckDB's default (80% of RAM) when absent. */
  memoryLimit?: string;
  /** Where DuckDB spills (absolute, or relative to the workspace folder); see `spillDirectory`. */
  tempDirectory?: string;
  /** DuckDB's worker threads; DuckDB's default (one per core) when absent. */
  threads?: number;
}

/**
 * A `Source` over DuckDB. The database opens read-only on first use (`check` or `stream`), never creating a
 * file: a missing file is an error, not an empty database. Each `stream` runs on its own connection,
 * so several can run at once. Relative file paths in queries (`read_csv('data/x.csv')`) resolve
 * against the workspace folder (DuckDB's `file_search_path`).
 */
export class DuckDBSource implements Source {
  readonly type: string;
  readonly capabilities = duckdbCapabilities;
  readonly #name: string;
  readonly #database: DuckDBDatabase;
  readonly #driver: DuckDBDriver;

  constructor(driver: DuckDBDriver, options: DuckDBSourceOptions, context: SourceContext) {
    this.type = options.type;
    this.#driver = driver;
    this.#name = context.name;
    const settings: Record<string, string> = { file_search_path: context.workspaceDir };
    // Read-only (SPEC §5): any number of runs, workers and a running `serve` read one file at once
    // (DuckDB allows many readers or one writer). Temporary tables still work.
    if (options.path !== ':memory:') settings.access_mode = 'READ_ONLY';
    // No limit of our own by default: the extract query's window and sort over wide rows need far more
    // of DuckDB's memory than the rows themselves (3,000 rows of 25 KB failed at 512MB), so any fixed
    // default would fail models that run under DuckDB's own (80% of RAM, a thread per core).
    if (options.memoryLimit !== undefined) settings.memory_limit = options.memoryLimit;
    if (options.threads !== undefined) settings.threads = String(options.threads);
    this.#database = new DuckDBDatabase(driver, {
      sourceName: context.name,
      path: options.path === ':memory:' ? ':memory:' : resolve(context.workspaceDir, options.path),
      settings,
      tempDirectory: spillDirectory(options, context),
    });
  }

  async check(): Promise<void> {
    const connection = await this.#database.connect();
    try {
      await this.#run(connection, () => connection.run('select 1'));
    } finally {
      this.#database.disconnect(connection);
    }
  }

  /**
   * Yields the query's rows in batches of exactly `batchSize` (the last one shorter; never an empty
   * one). Aborting `signal` cancels a running query and makes the iteration throw
   * `SluiceError('interrupted')`; stopping early (`break`) releases DuckDB's result at once.
   */
  stream(sql: string, options: StreamOptions): AsyncGenerator<Row[], void, undefined> {
    return this.#stream(sql, options, undefined);
  }

  /**
   * `stream` after loading `table` on the query's connection. A temporary table works on a
   * READ_ONLY database (DuckDB keeps it in the connection's own in-memory `temp` catalog; checked
   * in duckdb-source.test.ts), and goes when the connection closes at the end of the stream.
   */
  streamWithTable(
    table: TemporaryTable,
    sql: string | Promise<string>,
    options: StreamOptions,
  ): AsyncGenerator<Row[], void, undefined> {
    return this.#stream(sql, options, (connection) => this.#load(connection, table, options.signal));
  }

  /**
   * Creates `table` and loads its pages. A packed page (core/text-columns.ts) is one INSERT whose
   * parameters are the packed columns, split by DuckDB off the main thread: a million (key, row
   * hash) pairs cost the main thread 0.04–0.16 s, against 0.5–0.8 s appending them a value at a
   * time (a native call per value and per row, and the appender's flushes, all on the main thread;
   * bench/fingerprint-load.mts). Pages of lists are packed here first; a page with a value holding
   * the separator, which packing cannot carry, goes through the appender.
   */
  async #load(connection: DuckDBConnectionLike, table: TemporaryTable, signal?: AbortSignal): Promise<void> {
    const columns = table.columns.map((name) => `${name} VARCHAR NOT NULL`).join(', ');
    await this.#run(connection, () => connection.run(`CREATE TEMP TABLE ${table.name} (${columns})`), signal);
    let appender: DuckDBAppenderLike | undefined;
    try {
      for await (const page of table.pages) {
        this.#assertGoing(signal);
        if (rowsOf(page) === 0) continue;
        const packed = isPacked(page) ? page : packColumns(page);
        if (packed !== null) {
          // unnest()s side by side in one SELECT pair up their lists' elements by position; a
          // column given as UTF-8 bytes is bound as a BLOB and made text by DuckDB (decode checks it).
          const split = packed.packed.map(
            (column) => `unnest(string_split(${typeof column === 'string' ? '?' : 'decode(?)'}, chr(31)))`,
          );
          const values = packed.packed.map((column) =>
            typeof column === 'string' ? column : this.#driver.blobValue(column),
          );
          const insert = `INSERT INTO temp.${table.name} SELECT ${split.join(', ')}`;
          await this.#run(connection, () => connection.run(insert, values), signal);
          continue;
        }
        appender ??= await this.#run(
          connection,
          () => connection.createAppender(table.name, null, 'temp'),
          signal,
        );
        const values = columnValues(page);
        const rows = rowsOf(page);
        for (let r = 0; r < rows; r++) {
          for (const column of values) appender.appendVarchar(column[r]!);
          appender.endRow();
        }
      }
      appender?.flushSync();
    } finally {
      appender?.closeSync();
    }
  }

  async *#stream(
    query: string | Promise<string>,
    options: StreamOptions,
    prepare: ((connection: DuckDBConnectionLike) => Promise<void>) | undefined,
  ): AsyncGenerator<Row[], void, undefined> {
    const { batchSize, signal } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.#assertGoing(signal);
    const connection = await this.#database.connect();
    let result: DuckDBResultLike | undefined;
    let pending: Promise<DuckDBDataChunkLike | null> | undefined;
    let exhausted = false;
    try {
      if (prepare !== undefined) await prepare(connection);
      const sql = await query;
      const opened = await this.#run(
        connection,
        () => connection.stream(sql, options.params === undefined ? undefined : [...options.params]),
        signal,
        options,
      );
      result = opened;
      const reader = this.#reader(opened);
      if (options.onColumns) {
        const types = opened.columnTypes();
        options.onColumns(opened.columnNames().map((name, i) => ({ name, type: String(types[i]) })));
      }
      const fetch = () => {
        const next = this.#run(connection, () => opened.fetchChunk(), signal, options);
        next.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled
        return next;
      };
      pending = fetch();
      let batch: Row[] = [];
      for (;;) {
        const chunk = await pending;
        pending = undefined;
        if (chunk === null || chunk.rowCount === 0) break;
        this.#assertGoing(signal);
        // DuckDB computes the next chunk on its own thread while this one is converted and consumed.
        pending = fetch();
        const rows = reader.read(chunk);
        if (batch.length === 0 && rows.length === batchSize) {
          yield rows;
          this.#assertGoing(signal);
          continue;
        }
        for (const row of rows) {
          batch.push(row);
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
            this.#assertGoing(signal);
          }
        }
      }
      exhausted = true;
      if (batch.length > 0) yield batch;
    } finally {
      // A fetch still in flight must land before the connection is reused or closed.
      if (pending !== undefined) await pending.catch(() => undefined);
      if (result !== undefined && !exhausted && !this.#database.closed) {
        await this.#database.track(connection, releaseResult(connection));
      }
      this.#database.disconnect(connection);
    }
  }

  /**
   * Stops running queries, closes every connection and the database. Streams still open end with
   * `SluiceError('source_error')` at their next batch. Idempotent.
   */
  close(): Promise<void> {
    return this.#database.close();
  }

  /** Throws once the run was interrupted or the source closed, between batches. */
  #assertGoing(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw interruptedError(this.#name, signal.reason);
    if (this.#database.closed) throw closedError(this.#name);
  }

  /**
   * Runs one driver call on `connection`, turning its failure into an interrupted, closed or query
   * error. An abort interrupts the call while it runs: a query computing its first chunk (a sort,
   * an aggregate) can take long.
   */
  async #run<T>(
    connection: DuckDBConnectionLike,
    call: () => Promise<T>,
    signal?: AbortSignal,
    options?: StreamOptions,
  ): Promise<T> {
    this.#assertGoing(signal);
    let stop: (() => void) | undefined;
    const onAbort = () => {
      stop ??= interruptUntilSettled(connection);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#database.track(connection, call());
    } catch (error) {
      this.#assertGoing(signal);
      throw queryError(this.#name, error, options?.modelLines);
    } finally {
      stop?.();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #reader(result: DuckDBResultLike): RowReader {
    const names = result.columnNames();
    const duplicate = findDuplicateName(names);
    if (duplicate !== undefined) {
      throw duplicateColumnError(this.#name, duplicate);
    }
    try {
      return new RowReader(names, result.columnTypes(), loadRawBindings());
    } catch (error) {
      throw resultShapeError(
        this.#name,
        error instanceof Error ? error.message : String(error),
        "cast the column in the model's SQL, e.g. CAST(x AS VARCHAR)",
      );
    }
  }
}

/**
 * Where DuckDB writes what does not fit in its memory limit (a sort or window over a large model;
 * routine under the default limits): always a folder of this source's own, removed on close. Inside
 * the folder the user named (kept), else beside a database file (on the warehouse's disk) when that
 * folder is writable, else under the OS temp folder. Never one folder for several sources: DuckDB
 * names its spill files alike in every process, and two processes spilling into one folder at once
 * both crashed (SIGSEGV, DuckDB 1.5) in our trials — so not DuckDB's own default, `<path>.tmp`,
 * which every process reading the file shares. `:memory:` would spill under whatever folder Sluice
 * was started from.
 */
function spillDirectory(
  options: DuckDBSourceOptions,
  context: SourceContext,
): { path: string; ours: true; within?: string } {
  const name = context.name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  if (options.tempDirectory !== undefined) {
    const within = resolve(context.workspaceDir, options.tempDirectory);
    return { path: join(within, `sluice-duckdb-${name}-${unique}`), ours: true, within };
  }
  if (options.path !== ':memory:') {
    const file = resolve(context.workspaceDir, options.path);
    if (writable(dirname(file))) return { path: `${file}.sluice-${unique}.tmp`, ours: true };
  }
  return { path: join(tmpdir(), `sluice-duckdb-${name}-${unique}`), ours: true };
}

function writable(folder: string): boolean {
  try {
    accessSync(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Frees a streaming result that was not read to its end. Closing the connection alone does not:
 * the result keeps the query (and e.g. a sort's buffers) alive until garbage collection. Starting
 * another statement on the same connection makes DuckDB close the open result right away.
 */
async function releaseResult(connection: DuckDBConnectionLike): Promise<void> {
  try {
    await connection.run('select 1');
  } catch {
    // The connection is being torn down anyway; the result goes with it at garbage collection.
  }
}
