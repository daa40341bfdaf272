/**
 * Warehouse writeback into MySQL or MariaDB (SPEC §7): a connection of its own, opened for the
 * write without the source's read-only session and ended right after. The table is created in the
 * statement before the transaction (DDL commits implicitly in MySQL); `payload` is JSON (on MariaDB
 * an alias of LONGTEXT checked with JSON_VALID), `recorded_at` a DATETIME(3) in UTC.
 */
import type { WritebackRequest, WritebackWriter } from '../source.js';
import {
  insertBatches,
  quotedTable,
  rowValues,
  WRITEBACK_COLUMNS,
  writebackError,
} from '../writeback-table.js';
import type { MysqlConnectionLike, MysqlDriver } from './mysql-client.js';
import { fallsBack, type MysqlSettings, planMysqlConnection } from './mysql-config.js';
import { wordsOf } from './mysql-errors.js';
import { dropSocket, endOrDestroy } from './mysql-source.js';

const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;

const COLUMN_TYPES: Record<(typeof WRITEBACK_COLUMNS)[number], string> = {
  sync: 'VARCHAR(255) NOT NULL',
  run_id: 'VARCHAR(191) NOT NULL',
  key: 'TEXT',
  status: 'VARCHAR(32) NOT NULL',
  reason: 'VARCHAR(255)',
  message_id: 'VARCHAR(255)',
  operation: 'VARCHAR(32) NOT NULL',
  payload: 'JSON',
  recorded_at: 'DATETIME(3) NOT NULL',
};

function run(connection: MysqlConnectionLike, sql: string, values?: (string | null)[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, rows: unknown) => (error ? reject(error) : resolve(rows));
    if (values === undefined) connection.query(sql, done);
    else connection.query(sql, values, done);
  });
}

export class MysqlWritebackWriter implements WritebackWriter {
  readonly #driver: MysqlDriver;
  readonly #settings: MysqlSettings;
  readonly #context: { sourceName: string; baseDir: string };

  constructor(
    driver: MysqlDriver,
    settings: MysqlSettings,
    context: { sourceName: string; baseDir: string },
  ) {
    this.#driver = driver;
    this.#settings = settings;
    this.#context = context;
  }

  async write(request: WritebackRequest): Promise<number> {
    const table = quotedTable(request.table, quote);
    const plan = await planMysqlConnection(this.#settings, this.#context);
    const fail = (words: string, cause?: unknown) =>
      writebackError(this.#context.sourceName, 'mysql', request.table, words, cause);
    let connection: MysqlConnectionLike | undefined;
    for (let i = 0; connection === undefined; i++) {
      const attempt = plan.attempts[i] as (typeof plan.attempts)[number];
      const candidate = this.#driver.createConnection(attempt.config);
      candidate.on('error', () => undefined);
      try {
        await new Promise<void>((resolve, reject) => candidate.connect((e) => (e ? reject(e) : resolve())));
        connection = candidate;
      } catch (error) {
        dropSocket(candidate);
        if (i + 1 < plan.attempts.length && fallsBack(error, attempt.tls)) continue;
        throw fail(`could not connect to ${plan.target}: ${wordsOf(error, plan.password)}`, error);
      }
    }
    try {
      await run(connection, "SET time_zone = '+00:00'");
      return await writeRun(connection, table, request);
    } catch (error) {
      throw fail(wordsOf(error, plan.password), error);
    } finally {
      await endOrDestroy(connection);
    }
  }
}

async function writeRun(
  connection: MysqlConnectionLike,
  table: string,
  request: WritebackRequest,
): Promise<number> {
  const columns = WRITEBACK_COLUMNS.map((c) => `${quote(c)} ${COLUMN_TYPES[c]}`).join(', ');
  // Each write deletes a run's rows first: the index on run_id keeps that from reading the whole table.
  await run(
    connection,
    `CREATE TABLE IF NOT EXISTS ${table} (${columns}, INDEX (${quote('run_id')})) DEFAULT CHARSET = utf8mb4`,
  );
  const names = WRITEBACK_COLUMNS.map(quote).join(', ');
  const tuple = `(${WRITEBACK_COLUMNS.map(() => '?').join(', ')})`;
  let written = 0;
  await run(connection, 'START TRANSACTION');
  try {
    await run(connection, `DELETE FROM ${table} WHERE ${quote('run_id')} = ?`, [request.runId]);
    for await (const batch of insertBatches(request.rows)) {
      const values = batch.flatMap((row) => rowValues({ ...row, recorded_at: datetime(row.recorded_at) }));
      await run(
        connection,
        `INSERT INTO ${table} (${names}) VALUES ${batch.map(() => tuple).join(', ')}`,
        values,
      );
      written += batch.length;
    }
    await run(connection, 'COMMIT');
  } catch (error) {
    await run(connection, 'ROLLBACK').catch(() => undefined);
    throw error;
  }
  return written;
}

/** `2026-12-06T18:20:01.123Z` as MySQL's DATETIME text, `2026-12-06 18:20:01.123` (UTC). */
function datetime(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '');
}
