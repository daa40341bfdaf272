/**
 * Warehouse writeback into PostgreSQL (SPEC §7): a connection of its own, opened for the write
 * without the source's read-only session and ended right after. `payload` is `json`, not `jsonb`:
 * a message may hold `\u0000`, which jsonb refuses.
 */
import type { WritebackRequest, WritebackWriter } from '../source.js';
import {
  insertBatches,
  quotedTable,
  rowValues,
  WRITEBACK_COLUMNS,
  writebackError,
  writebackTableParts,
} from '../writeback-table.js';
import type { PgClientLike, PgDriver } from './postgres-client.js';
import { fallsBack, type PostgresSettings, planPostgresConnection } from './postgres-config.js';
import { wordsOf } from './postgres-errors.js';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

const COLUMN_TYPES: Record<(typeof WRITEBACK_COLUMNS)[number], string> = {
  sync: 'text NOT NULL',
  run_id: 'text NOT NULL',
  key: 'text',
  status: 'text NOT NULL',
  reason: 'text',
  message_id: 'text',
  operation: 'text NOT NULL',
  payload: 'json',
  recorded_at: 'timestamptz NOT NULL',
};

export class PostgresWritebackWriter implements WritebackWriter {
  readonly #driver: Pick<PgDriver, 'Client'>;
  readonly #settings: PostgresSettings;
  readonly #context: { sourceName: string; baseDir: string };

  constructor(
    driver: Pick<PgDriver, 'Client'>,
    settings: PostgresSettings,
    context: { sourceName: string; baseDir: string },
  ) {
    this.#driver = driver;
    this.#settings = settings;
    this.#context = context;
  }

  async write(request: WritebackRequest): Promise<number> {
    const table = quotedTable(request.table, quote);
    const plan = await planPostgresConnection(this.#settings, this.#context);
    const fail = (words: string, cause?: unknown) =>
      writebackError(this.#context.sourceName, 'postgres', request.table, words, cause);
    let client: PgClientLike | undefined;
    for (let i = 0; client === undefined; i++) {
      const attempt = plan.attempts[i] as (typeof plan.attempts)[number];
      const candidate = new this.#driver.Client(attempt.config);
      candidate.on('error', () => undefined);
      try {
        await candidate.connect();
        client = candidate;
      } catch (error) {
        await candidate.end().catch(() => undefined);
        if (i + 1 < plan.attempts.length && fallsBack(error, attempt.tls)) continue;
        throw fail(`could not connect to ${plan.target}: ${wordsOf(error, plan.password)}`, error);
      }
    }
    try {
      return await writeRun(client, table, request);
    } catch (error) {
      throw fail(wordsOf(error, plan.password), error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function writeRun(client: PgClientLike, table: string, request: WritebackRequest): Promise<number> {
  const columns = WRITEBACK_COLUMNS.map((c) => `${quote(c)} ${COLUMN_TYPES[c]}`).join(', ');
  await client.query(`CREATE TABLE IF NOT EXISTS ${table} (${columns})`);
  // Each write deletes a run's rows first: an index on run_id keeps that from reading the whole table.
  const bare = (writebackTableParts(request.table) as string[]).at(-1) as string;
  await client.query(`CREATE INDEX IF NOT EXISTS ${quote(`${bare}_run_id`)} ON ${table} ("run_id")`);
  const names = WRITEBACK_COLUMNS.map(quote).join(', ');
  const width = WRITEBACK_COLUMNS.length;
  let written = 0;
  await client.query('BEGIN');
  try {
    await client.query(`DELETE FROM ${table} WHERE "run_id" = $1`, [request.runId]);
    for await (const batch of insertBatches(request.rows)) {
      const tuples = batch.map(
        (_, r) => `(${WRITEBACK_COLUMNS.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
      );
      await client.query(
        `INSERT INTO ${table} (${names}) VALUES ${tuples.join(', ')}`,
        batch.flatMap(rowValues),
      );
      written += batch.length;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return written;
}
