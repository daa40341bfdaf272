/**
 * The subset of better-sqlite3 the SQLite state store uses, as structural types (kysely's habit with
 * `PostgresPool`): nothing outside this folder imports the driver, and the driver itself is loaded
 * lazily so a workspace on PostgreSQL state never loads the native module.
 */

export interface SqliteRunResult {
  changes: number;
  /** The rowid of the row an INSERT made (a bigint only with safe integers on, which we never enable). */
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Rows one at a time; `return()` on the iterator ends the statement early. */
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as arrays in column order: measurably cheaper than objects on hot lookups. */
  raw(toggle?: boolean): SqliteStatement;
  /** Rows as their first column's value alone. */
  pluck(toggle?: boolean): SqliteStatement;
}

/** A function wrapped in BEGIN … COMMIT (ROLLBACK when it throws). */
export interface SqliteTransaction<T> {
  (): T;
  /**
   * BEGIN IMMEDIATE: takes the write lock up front. Used for every write, because a deferred
   * transaction that reads first and then writes can fail with SQLITE_BUSY_SNAPSHOT in WAL mode
   * without ever waiting on busy_timeout (https://www.sqlite.org/wal.html#busy).
   */
  immediate(): T;
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  transaction<T>(fn: () => T): SqliteTransaction<T>;
  close(): void;
}

export type SqliteDatabaseConstructor = new (filename: string) => SqliteDatabase;

/** Loads better-sqlite3 on first use. */
export async function loadSqliteDriver(): Promise<SqliteDatabaseConstructor> {
  const driver = await import('better-sqlite3');
  return driver.default;
}
