/**
 * Warehouse writeback into a DuckDB file (SPEC §7). The source reads its file READ_ONLY; this opens
 * a READ_WRITE instance of its own, only for the write and closed right after. DuckDB admits one
 * writer and no reader beside it: in this process the file gate waits for the runs still reading
 * the file to close their instance, and another process's lock is waited out until the deadline.
 */
import { stat } from 'node:fs/promises';
import { SluiceError } from '../../core/errors.js';
import type { WritebackRequest, WritebackWriter } from '../source.js';
import {
  insertBatches,
  quotedTable,
  rowValues,
  WRITEBACK_COLUMNS,
  writebackError,
} from '../writeback-table.js';
import type { DuckDBConnectionLike, DuckDBDriver, DuckDBInstanceLike } from './duckdb-client.js';
import { enterAsWriter } from './duckdb-file-gate.js';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

const COLUMN_TYPES: Record<(typeof WRITEBACK_COLUMNS)[number], string> = {
  sync: 'VARCHAR NOT NULL',
  run_id: 'VARCHAR NOT NULL',
  key: 'VARCHAR',
  status: 'VARCHAR NOT NULL',
  reason: 'VARCHAR',
  message_id: 'VARCHAR',
  operation: 'VARCHAR NOT NULL',
  payload: 'JSON',
  recorded_at: 'TIMESTAMPTZ NOT NULL',
};

export interface DuckDBWritebackOptions {
  sourceName: string;
  /** The database file, absolute. */
  path: string;
  /** How long to wait for readers of the file, here or in another process (default 60 s). */
  waitMs?: number;
}

export class DuckDBWritebackWriter implements WritebackWriter {
  readonly #driver: DuckDBDriver;
  readonly #options: DuckDBWritebackOptions;

  constructor(driver: DuckDBDriver, options: DuckDBWritebackOptions) {
    this.#driver = driver;
    this.#options = options;
  }

  async write(request: WritebackRequest): Promise<number> {
    const { sourceName, path } = this.#options;
    const table = quotedTable(request.table, quote);
    const fail = (words: string, cause?: unknown) =>
      writebackError(sourceName, 'duckdb', request.table, words, cause);
    // READ_WRITE would create a missing file: an empty warehouse beside the real one helps no one.
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      throw fail(`the database file ${path} does not exist — check the source's path`);
    }
    const deadline = Date.now() + (this.#options.waitMs ?? 60_000);
    const leave = await enterAsWriter(path, deadline - Date.now());
    if (leave === null) {
      throw fail('runs of this process were still reading the file — it is written by the next run');
    }
    let instance: DuckDBInstanceLike | undefined;
    let connection: DuckDBConnectionLike | undefined;
    try {
      instance = await this.#open(deadline, fail);
      connection = await instance.connect();
      return await writeRun(connection, table, request);
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw fail(error instanceof Error ? error.message : String(error), error);
    } finally {
      connection?.closeSync();
      instance?.closeSync();
      leave();
    }
  }

  /** A READ_WRITE instance, retried while another process holds the file's lock (a run reading it). */
  async #open(
    deadline: number,
    fail: (words: string, cause?: unknown) => Error,
  ): Promise<DuckDBInstanceLike> {
    for (;;) {
      try {
        return await this.#driver.DuckDBInstance.create(this.#options.path, { access_mode: 'READ_WRITE' });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!/Could not set lock/i.test(message)) throw fail(message, error);
        if (Date.now() >= deadline) {
          throw fail(
            `another process kept the file open (${message}) — it is written by the next run`,
            error,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

/** Creates the table if missing and replaces the run's rows in one transaction. */
async function writeRun(
  connection: DuckDBConnectionLike,
  table: string,
  request: WritebackRequest,
): Promise<number> {
  const columns = WRITEBACK_COLUMNS.map((c) => `${quote(c)} ${COLUMN_TYPES[c]}`).join(', ');
  await connection.run(`CREATE TABLE IF NOT EXISTS ${table} (${columns})`);
  const names = WRITEBACK_COLUMNS.map(quote).join(', ');
  const tuple = `(${WRITEBACK_COLUMNS.map(() => '?').join(', ')})`;
  let written = 0;
  await connection.run('BEGIN TRANSACTION');
  try {
    await connection.run(`DELETE FROM ${table} WHERE run_id = ?`, [request.runId]);
    for await (const batch of insertBatches(request.rows)) {
      await connection.run(
        `INSERT INTO ${table} (${names}) VALUES ${batch.map(() => tuple).join(', ')}`,
        batch.flatMap(rowValues),
      );
      written += batch.length;
    }
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return written;
}
