/**
 * The subset of `better-sqlite3` that the SQLite source uses, written out structurally: nothing here
 * imports the driver, which `sources/registry.ts` loads lazily and passes in. The real module
 * satisfies these interfaces; the registry's call proves it at compile time.
 */

/** One result column: its name and the declared type of the table column it comes from, if any. */
export interface SqliteColumnLike {
  readonly name: string;
  /** The declared type ("INTEGER", "DATETIME", "json"…); null for expressions. */
  readonly type: string | null;
}

export interface SqliteStatementLike {
  /** Whether the statement returns rows (a SELECT, or a write with RETURNING). */
  readonly reader: boolean;
  columns(): SqliteColumnLike[];
  /** INTEGER values as bigint, so ids beyond 2^53 stay exact. */
  safeIntegers(toggle?: boolean): unknown;
  /** Rows as arrays of values, in column order. */
  raw(toggle?: boolean): unknown;
  /** Steps through the rows one at a time; `return()` resets the statement. */
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  /** Throws while an iterator is open on this connection: reset iterators first. */
  close(): unknown;
}

/** The driver's default export: `new Database(path, options)`. */
export type SqliteDriver = new (
  path: string,
  options: { readonly: boolean; fileMustExist: boolean; timeout: number },
) => SqliteDatabaseLike;
