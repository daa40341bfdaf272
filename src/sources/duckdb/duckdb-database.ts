/**
 * One DuckDB database as the source uses it: opened on first use, handing out one connection per
 * query, and knowing which driver call runs on each connection, so that closing never pulls a
 * connection out from under a running query (that would leave the query's promise pending for ever).
 * A database file is open only while a query uses it (SPEC §5): an idle `serve` or worker holds no
 * lock on it, so the program that writes the warehouse can, and the next run sees what it wrote.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { SluiceError } from '../../core/errors.js';
import type { DuckDBConnectionLike, DuckDBDriver, DuckDBInstanceLike } from './duckdb-client.js';
import { closedError, missingFileError, openError, tempDirectoryError } from './duckdb-errors.js';
import { enterAsReader } from './duckdb-file-gate.js';

export interface DuckDBDatabaseOptions {
  /** The source's name, for error messages. */
  sourceName: string;
  /** An absolute database file path, or ":memory:". */
  path: string;
  /** DuckDB configuration settings, e.g. `{ file_search_path: '/ws', memory_limit: '1GB' }`. */
  settings: Record<string, string>;
  /**
   * Where DuckDB spills (set as its `temp_directory`). One the user named is created if missing,
   * when the database opens, so a bad path fails then and not mid-query at the first spill. One
   * Sluice chose (`ours`) is left for DuckDB to create when it first spills, and removed on close;
   * `within`, the user's folder it sits in, is created when the database opens and kept.
   */
  tempDirectory?: { path: string; ours: boolean; within?: string };
}

export class DuckDBDatabase {
  readonly #driver: DuckDBDriver;
  readonly #options: DuckDBDatabaseOptions;
  /** Open connections, each with the driver call running on it (if any). */
  readonly #connections = new Map<DuckDBConnectionLike, Promise<unknown> | undefined>();
  /** Connections being opened: `close` waits for them before closing the database. */
  readonly #connecting = new Set<Promise<DuckDBConnectionLike>>();
  #instance: Promise<DuckDBInstanceLike> | undefined;
  /** `connect` calls under way: the database is not closed as idle while one is. */
  #opening = 0;
  #closed = false;

  constructor(driver: DuckDBDriver, options: DuckDBDatabaseOptions) {
    this.#driver = driver;
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A new connection, opening the database first if needed. A file that does not exist is an error
   * (DuckDB would create an empty database); a failed open is retried by the next call.
   */
  async connect(): Promise<DuckDBConnectionLike> {
    this.#assertOpen();
    this.#opening++;
    try {
      return await this.#connect();
    } finally {
      this.#opening--;
    }
  }

  async #connect(): Promise<DuckDBConnectionLike> {
    this.#instance ??= this.#open();
    const opening = this.#instance;
    let instance: DuckDBInstanceLike;
    try {
      instance = await opening;
    } catch (error) {
      if (this.#instance === opening) this.#instance = undefined;
      throw error;
    }
    this.#assertOpen();
    const connecting = instance.connect();
    this.#connecting.add(connecting);
    try {
      const connection = await connecting;
      this.#connections.set(connection, undefined);
      return connection;
    } finally {
      this.#connecting.delete(connecting);
    }
  }

  /** Records `call` as the one running on `connection` until it settles, and returns it. */
  track<T>(connection: DuckDBConnectionLike, call: Promise<T>): Promise<T> {
    if (!this.#connections.has(connection)) return call;
    this.#connections.set(connection, call);
    const settled = () => {
      if (this.#connections.get(connection) === call) this.#connections.set(connection, undefined);
    };
    call.then(settled, settled);
    return call;
  }

  /**
   * Closes a connection that has no call running (the caller awaited its calls), and a database
   * file nothing else uses (`:memory:` stays open: closing it would lose nothing but cost a reopen).
   */
  disconnect(connection: DuckDBConnectionLike): void {
    if (this.#connections.delete(connection)) connection.closeSync();
    if (this.#options.path === ':memory:' || this.#closed) return;
    if (this.#connections.size > 0 || this.#connecting.size > 0 || this.#opening > 0) return;
    const instance = this.#instance;
    this.#instance = undefined;
    instance?.then((opened) => opened.closeSync()).catch(() => undefined);
  }

  /** Interrupts running calls, waits for them, closes every connection, then the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#connecting]);
    await Promise.all([...this.#connections.keys()].map((connection) => this.#drain(connection)));
    const instance = this.#instance;
    this.#instance = undefined;
    if (instance !== undefined) {
      try {
        (await instance).closeSync();
      } catch {
        // It never opened, and the error went to whoever asked for it.
      }
    }
    // DuckDB deletes its spill files and a folder it created when it closes; this catches the rest
    // (a folder it created but could not empty). Never a folder the user named.
    const spill = this.#options.tempDirectory;
    if (spill?.ours) await rm(spill.path, { recursive: true, force: true }).catch(() => undefined);
  }

  async #drain(connection: DuckDBConnectionLike): Promise<void> {
    let call = this.#connections.get(connection);
    while (call !== undefined) {
      const stop = interruptUntilSettled(connection);
      await call.catch(() => undefined);
      stop();
      call = this.#connections.get(connection);
    }
    this.disconnect(connection);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError(this.#options.sourceName);
  }

  async #open(): Promise<DuckDBInstanceLike> {
    const { sourceName, path, settings, tempDirectory } = this.#options;
    if (path !== ':memory:') await assertDatabaseFile(sourceName, path);
    const named = tempDirectory?.ours ? tempDirectory.within : tempDirectory?.path;
    if (named !== undefined) {
      await mkdir(named, { recursive: true }).catch((error: unknown) => {
        throw tempDirectoryError(sourceName, named, error);
      });
    }
    const config =
      tempDirectory === undefined ? settings : { ...settings, temp_directory: tempDirectory.path };
    if (path === ':memory:') {
      try {
        return await this.#driver.DuckDBInstance.create(path, config);
      } catch (error) {
        throw openError(sourceName, path, error);
      }
    }
    // A file is open here only while no writeback of this process writes it (duckdb-file-gate.ts).
    const leave = await enterAsReader(path);
    try {
      const instance = await this.#driver.DuckDBInstance.create(path, config);
      return {
        connect: () => instance.connect(),
        closeSync: () => {
          try {
            instance.closeSync();
          } finally {
            leave();
          }
        },
      };
    } catch (error) {
      leave();
      throw openError(sourceName, path, error);
    }
  }
}

/**
 * Interrupts the query on `connection` now and every 25 ms until the returned function is called:
 * DuckDB drops an interrupt that lands before the query has started.
 */
export function interruptUntilSettled(connection: DuckDBConnectionLike): () => void {
  connection.interrupt();
  const timer = setInterval(() => connection.interrupt(), 25);
  return () => clearInterval(timer);
}

async function assertDatabaseFile(sourceName: string, path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw missingFileError(sourceName, path, 'folder');
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw missingFileError(sourceName, path, 'missing');
    throw openError(sourceName, path, error);
  }
}
