/**
 * The SQLite source: a database file opened read-only, one handle per stream, rows stepped through
 * one at a time (better-sqlite3's `iterate`) and handed on in batches, so memory holds one batch
 * whatever the model returns. better-sqlite3 is synchronous: a batch is read without yielding, and
 * the source gives the event loop a turn between batches, which is when an abort takes effect.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { assignField, findDuplicateName } from '../../core/normalise.js';
import type { Row, Value } from '../../core/values.js';
import type { Source, SourceCapabilities, SourceContext, StreamOptions } from '../source.js';
import type { SqliteDatabaseLike, SqliteDriver, SqliteStatementLike } from './sqlite-client.js';
import {
  closedError,
  duplicateColumnError,
  interruptedError,
  missingFileError,
  openError,
  queryError,
  resultShapeError,
} from './sqlite-errors.js';
import { converterFor, type SqliteConverter } from './sqlite-values.js';

/** SQLite's dialect: standard double-quoted identifiers. */
export const sqliteCapabilities: SourceCapabilities = Object.freeze({
  quoteIdentifier: (name: string) => `"${name.replaceAll('"', '""')}"`,
  // A column declared COLLATE NOCASE or RTRIM compares its text loosely; BINARY is the key's own
  // equality (and changes nothing for numbers or blobs).
  keyPartitionSql: (key: string) => `${key} COLLATE BINARY`,
  // Timestamps are text as stored, with or without an offset (sqlite-values.ts): julianday reads
  // every such form as an instant, where comparing the text would not.
  cursorCondition: (column: string, type: string | undefined, since: string) => {
    const declared = type?.toUpperCase() ?? '';
    if (declared.includes('DATETIME') || declared.includes('TIMESTAMP') || /^DATE\b/u.test(declared)) {
      return { sql: `julianday(${column}) >= julianday(?)`, param: since };
    }
    return type === undefined
      ? 'SQLite knows its type only when it is read straight from a table column declared DATETIME, TIMESTAMP or DATE'
      : `it is declared ${type}, not DATETIME, TIMESTAMP or DATE`;
  },
});

/** How long a read waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteSourceOptions {
  /** The database file, absolute or relative to the workspace folder. */
  path: string;
}

interface Handle {
  database: SqliteDatabaseLike;
  iterator?: IterableIterator<unknown>;
}

/**
 * A `Source` over a SQLite file. The file opens read-only on each use (`check`, `stream`), never
 * creating it: a missing file is an error, not an empty database.
 */
export class SqliteSource implements Source {
  readonly type = 'sqlite';
  readonly capabilities = sqliteCapabilities;
  readonly #driver: SqliteDriver;
  readonly #name: string;
  readonly #path: string;
  readonly #handles = new Set<Handle>();
  #closed = false;

  constructor(driver: SqliteDriver, options: SqliteSourceOptions, context: SourceContext) {
    this.#driver = driver;
    this.#name = context.name;
    this.#path = resolve(context.workspaceDir, options.path);
  }

  async check(): Promise<void> {
    const handle = await this.#open();
    try {
      // Reading the schema proves the file is a database SQLite can read, not just a file.
      const rows = handle.database.prepare('SELECT count(*) FROM sqlite_schema').iterate();
      rows.next();
      rows.return?.();
    } catch (error) {
      throw queryError(this.#name, error);
    } finally {
      this.#release(handle);
    }
  }

  /**
   * Yields the query's rows in batches of exactly `batchSize` (the last one shorter; never an empty
   * one). Aborting `signal` makes the iteration throw `SluiceError('interrupted')` before the next
   * batch; stopping early (`break`) resets the statement and closes the handle.
   */
  async *stream(sql: string, options: StreamOptions): AsyncGenerator<Row[], void, undefined> {
    const { batchSize, signal } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.#assertGoing(signal);
    const handle = await this.#open();
    try {
      this.#assertGoing(signal);
      const statement = this.#prepare(handle.database, sql);
      const toRow = rowBuilder(this.#name, statement);
      // SQLite knows only declared types, of columns read straight from a table.
      options.onColumns?.(
        statement.columns().map((c) => (c.type === null ? { name: c.name } : { name: c.name, type: c.type })),
      );
      const iterator = this.#step(() => statement.iterate(...(options.params ?? [])));
      handle.iterator = iterator;
      for (;;) {
        const batch: Row[] = [];
        this.#step(() => {
          while (batch.length < batchSize) {
            const next = iterator.next();
            if (next.done) break;
            batch.push(toRow(next.value as unknown[]));
          }
        });
        if (batch.length > 0) yield batch;
        this.#assertGoing(signal);
        if (batch.length < batchSize) break;
        // The reads are synchronous: let timers, I/O and abort handlers run between batches.
        await new Promise((done) => setImmediate(done));
        this.#assertGoing(signal);
      }
    } finally {
      this.#release(handle);
    }
  }

  /** Closes every handle; streams still open end with source_error at their next batch. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const handle of [...this.#handles]) this.#release(handle);
  }

  #assertGoing(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw interruptedError(this.#name, signal.reason);
    if (this.#closed) throw closedError(this.#name);
  }

  async #open(): Promise<Handle> {
    const info = await stat(this.#path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw missingFileError(this.#name, this.#path);
      throw openError(this.#name, this.#path, error);
    });
    if (info.isDirectory()) throw openError(this.#name, this.#path, new Error('it is a folder, not a file'));
    this.#assertGoing(undefined);
    let database: SqliteDatabaseLike;
    try {
      database = new this.#driver(this.#path, {
        readonly: true,
        fileMustExist: true,
        timeout: BUSY_TIMEOUT_MS,
      });
    } catch (error) {
      throw openError(this.#name, this.#path, error);
    }
    const handle: Handle = { database };
    this.#handles.add(handle);
    return handle;
  }

  #prepare(database: SqliteDatabaseLike, sql: string): SqliteStatementLike {
    const statement = this.#step(() => database.prepare(sql));
    if (!statement.reader) {
      throw resultShapeError(
        this.#name,
        'the model does not return rows',
        'write the model as a SELECT (SQLite sources are read-only)',
      );
    }
    statement.safeIntegers(true);
    statement.raw(true);
    return statement;
  }

  /** Runs a driver call, turning its failure into a query error. */
  #step<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw queryError(this.#name, error);
    }
  }

  /** Resets the handle's statement (a database with an open iterator refuses to close), then closes. */
  #release(handle: Handle): void {
    if (!this.#handles.delete(handle)) return;
    try {
      handle.iterator?.return?.();
    } catch {
      // The statement is finalised with the database below.
    }
    try {
      handle.database.close();
    } catch {
      // Nothing was written: a handle that fails to close loses nothing.
    }
  }
}

/** Checks the result's columns once and returns the function that turns a value array into a row. */
function rowBuilder(sourceName: string, statement: SqliteStatementLike): (values: unknown[]) => Row {
  const columns = statement.columns();
  const names = columns.map((c) => c.name);
  const duplicate = findDuplicateName(names);
  if (duplicate !== undefined) {
    throw duplicateColumnError(sourceName, duplicate);
  }
  const converters: SqliteConverter[] = columns.map((c) => converterFor(c.type));
  const plain = !names.includes('__proto__');
  return (values) => {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) {
      const v = values[c];
      const value: Value = v === null ? null : (converters[c] as SqliteConverter)(v);
      if (plain) row[names[c] as string] = value;
      else assignField(row, names[c] as string, value);
    }
    return row;
  };
}
