/**
 * The MySQL/MariaDB source. Each stream runs on its own connection as a prepared statement (binary
 * protocol: exact FLOAT/DOUBLE); rows arrive as mysql2 events and are grouped into batches, and the
 * socket is paused while two full batches wait, so the server waits too and memory stays bounded
 * whatever the model returns (the statement runs without a cursor: nothing to fetch from).
 */
import { assignField, findDuplicateName } from '../../core/normalise.js';
import type { Row, Value } from '../../core/values.js';
import type { Source, SourceCapabilities, SourceContext, StreamOptions } from '../source.js';
import type { MysqlConnectionLike, MysqlDriver, MysqlFieldLike } from './mysql-client.js';
import {
  fallsBack,
  type MysqlConnectPlan,
  type MysqlSettings,
  planMysqlConnection,
  sessionStatements,
} from './mysql-config.js';
import {
  closedError,
  connectError,
  duplicateColumnError,
  interruptedError,
  queryError,
} from './mysql-errors.js';
import { converterFor, type MysqlConverter, mysqlTypeName } from './mysql-values.js';
import { RowBatches } from './row-batches.js';

/** MySQL's dialect: backquoted identifiers (double quotes are strings unless ANSI_QUOTES is on). */
export const mysqlCapabilities: SourceCapabilities = Object.freeze({
  quoteIdentifier: (name: string) => `\`${name.replaceAll('`', '``')}\``,
  // The default collations are case-insensitive and PAD SPACE. Both the value and its bytes: the
  // bytes split strings the collation joins, and the value keeps numbers exact (a FLOAT's bytes
  // are its 6-digit text, which would join two different floats).
  keyPartitionSql: (key: string) => `${key}, binary ${key}`,
  // The session runs at +00:00, so TIMESTAMP and DATETIME both compare as UTC wall time.
  cursorCondition: (column: string, type: string | undefined, since: string) => {
    if (type !== undefined && ['TIMESTAMP', 'TIMESTAMP2', 'DATETIME', 'DATETIME2'].includes(type)) {
      return { sql: `${column} >= CAST(? AS DATETIME(3))`, param: since.slice(0, -1).replace('T', ' ') };
    }
    if (type === 'DATE' || type === 'NEWDATE')
      return { sql: `${column} >= CAST(? AS DATE)`, param: since.slice(0, 10) };
    return `it is ${type ?? 'of an unknown type'}, not a TIMESTAMP, DATETIME or DATE`;
  },
});

function run(connection: MysqlConnectionLike, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query(sql, (error, rows) => (error ? reject(error) : resolve(rows)));
  });
}

/**
 * A `Source` over a MySQL or MariaDB database. Nothing connects until `check` or `stream`. Aborting
 * a stream's signal, stopping early, or `close` runs `KILL QUERY` from a second connection (the
 * server would otherwise finish a long sort first) and drops the stream's connection.
 */
export class MysqlSource implements Source {
  readonly type = 'mysql';
  readonly capabilities = mysqlCapabilities;
  readonly #driver: MysqlDriver;
  readonly #name: string;
  readonly #settings: MysqlSettings;
  readonly #baseDir: string;
  /** Open connections; a streaming one carries the batches its query feeds, to fail them on close. */
  readonly #connections = new Map<MysqlConnectionLike, { batches?: RowBatches }>();
  #plan: Promise<MysqlConnectPlan> | undefined;
  /** The attempt that connected, reused for KILL QUERY; and the server's flavour, once known. */
  #working: MysqlConnectPlan['attempts'][number] | undefined;
  #mariadb: boolean | undefined;
  #closed = false;

  constructor(driver: MysqlDriver, settings: MysqlSettings, context: SourceContext) {
    this.#driver = driver;
    this.#name = context.name;
    this.#settings = settings;
    this.#baseDir = context.workspaceDir;
  }

  async check(): Promise<void> {
    const { connection, plan } = await this.#connect();
    try {
      await run(connection, 'SELECT 1');
    } catch (error) {
      this.#assertGoing(undefined);
      throw queryError(this.#name, error, plan.password, plan.statementTimeoutMs);
    } finally {
      await this.#release(connection);
    }
  }

  /**
   * Yields the query's rows in batches of exactly `batchSize` (the last one shorter; never an empty
   * one). Aborting `signal` kills the query and makes the iteration throw `SluiceError('interrupted')`.
   */
  async *stream(sql: string, options: StreamOptions): AsyncGenerator<Row[], void, undefined> {
    const { batchSize, signal } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.#assertGoing(signal);
    const { connection, plan } = await this.#connect();
    const batches = new RowBatches(batchSize, connection);
    const state = this.#connections.get(connection);
    if (state) state.batches = batches;
    const onAbort = () => batches.fail(interruptedError(this.#name, signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    /** The query answered in full or failed: the connection is idle again. */
    let settled = false;
    try {
      this.#assertGoing(signal);
      let toRow: ((values: unknown[]) => Row) | undefined;
      // The binary protocol (a prepared statement), not `query`: MariaDB's text protocol writes FLOAT
      // to 6 significant digits and DOUBLE to 15, so different keys would read alike and reruns would
      // resend unchanged rows. Without a cursor the server streams the rows just as for a text query.
      connection
        .execute({
          sql,
          rowsAsArray: true,
          ...(options.params === undefined ? {} : { values: [...options.params] }),
        })
        .on('fields', (fields) => {
          try {
            toRow = rowBuilder(this.#name, fields);
            options.onColumns?.(fields.map((f) => ({ name: f.name, type: mysqlTypeName(f) })));
          } catch (error) {
            batches.fail(error);
          }
        })
        .on('result', (values) => {
          if (toRow !== undefined && !batches.done) batches.push(toRow(values as unknown[]));
        })
        .on('end', () => {
          settled = true;
          batches.end();
        })
        .on('error', (error) => {
          settled = true;
          if (signal?.aborted) batches.fail(interruptedError(this.#name, signal.reason));
          else if (this.#closed) batches.fail(closedError(this.#name));
          else {
            batches.fail(
              queryError(this.#name, error, plan.password, plan.statementTimeoutMs, {
                sql,
                ...(options.modelLines ? { frame: options.modelLines } : {}),
              }),
            );
          }
        });
      for (;;) {
        const batch = await batches.next();
        if (batch === undefined) break;
        yield batch;
        this.#assertGoing(signal);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (state) state.batches = undefined;
      if (settled) await this.#release(connection);
      else await this.#drop(connection, plan);
    }
  }

  /** Kills running queries and closes every connection; streams still open end with source_error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const plan = await this.#plan?.catch(() => undefined);
    const connections = [...this.#connections];
    await Promise.all(
      connections.map(([connection, state]) => {
        if (state.batches === undefined || plan === undefined) return this.#release(connection);
        state.batches.fail(closedError(this.#name));
        return this.#drop(connection, plan);
      }),
    );
  }

  #assertGoing(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw interruptedError(this.#name, signal.reason);
    if (this.#closed) throw closedError(this.#name);
  }

  /** A connected, set-up connection, trying each TLS attempt that sslmode allows. */
  async #connect(): Promise<{ connection: MysqlConnectionLike; plan: MysqlConnectPlan }> {
    this.#assertGoing(undefined);
    this.#plan ??= planMysqlConnection(this.#settings, { sourceName: this.#name, baseDir: this.#baseDir });
    const plan = await this.#plan;
    const attempts = this.#working === undefined ? plan.attempts : [this.#working];
    for (let i = 0; ; i++) {
      const attempt = attempts[i] as MysqlConnectPlan['attempts'][number];
      const connection = this.#driver.createConnection(attempt.config);
      // A connection that breaks while idle reports it as an event; the next call fails anyway.
      connection.on('error', () => undefined);
      this.#connections.set(connection, {});
      try {
        await new Promise<void>((resolve, reject) => connection.connect((e) => (e ? reject(e) : resolve())));
        if (this.#mariadb === undefined) {
          const rows = (await run(connection, 'SELECT VERSION() AS v')) as { v: string }[];
          this.#mariadb = /mariadb/i.test(rows[0]?.v ?? '');
        }
        for (const statement of sessionStatements(this.#mariadb, plan.statementTimeoutMs)) {
          await run(connection, statement);
        }
        this.#assertGoing(undefined);
        this.#working = attempt;
        return { connection, plan };
      } catch (error) {
        // A connection that failed its handshake never answers COM_QUIT: drop the socket.
        this.#connections.delete(connection);
        dropSocket(connection);
        this.#assertGoing(undefined);
        if (i + 1 < attempts.length && fallsBack(error, attempt.tls)) continue;
        throw connectError(this.#name, plan.target, error, plan.password);
      }
    }
  }

  /** Ends an idle connection politely, or drops its socket if the server does not answer soon. */
  async #release(connection: MysqlConnectionLike): Promise<void> {
    if (!this.#connections.delete(connection)) return;
    await endOrDestroy(connection);
  }

  /**
   * Stops a connection whose query may still run: `KILL QUERY` from a second connection (best
   * effort), then the socket is destroyed, so unread rows are dropped rather than read.
   */
  async #drop(connection: MysqlConnectionLike, plan: MysqlConnectPlan): Promise<void> {
    if (!this.#connections.delete(connection)) return;
    const id = connection.threadId;
    const attempt = this.#working ?? plan.attempts[0];
    if (id !== null && attempt !== undefined) {
      const killer = this.#driver.createConnection(attempt.config);
      killer.on('error', () => undefined);
      await run(killer, `KILL QUERY ${Math.trunc(id)}`).catch(() => undefined);
      await endOrDestroy(killer);
    }
    dropSocket(connection);
  }
}

/** Closes the socket at once (RST when rows are unread), so the server stops sending. */
export function dropSocket(connection: MysqlConnectionLike): void {
  if (connection.stream !== undefined) connection.stream.destroy();
  else connection.destroy();
}

/** How long COM_QUIT may take before the socket is dropped instead. */
const END_TIMEOUT_MS = 2000;

/** COM_QUIT, then close; mysql2 never calls back after some failures, so the socket goes after a while. */
export function endOrDestroy(connection: MysqlConnectionLike): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      dropSocket(connection);
      resolve();
    }, END_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      connection.end(done);
    } catch {
      dropSocket(connection);
      done();
    }
  });
}

/** Turns the value arrays of one result into rows keyed by column name, in column order. */
function rowBuilder(sourceName: string, fields: readonly MysqlFieldLike[]): (values: unknown[]) => Row {
  const names = fields.map((f) => f.name);
  const duplicate = findDuplicateName(names);
  if (duplicate !== undefined) throw duplicateColumnError(sourceName, duplicate);
  const converters: MysqlConverter[] = fields.map(converterFor);
  const plain = !names.includes('__proto__');
  return (values) => {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) {
      const v = values[c];
      const value = v === null || v === undefined ? null : (converters[c] as MysqlConverter)(v);
      if (plain) row[names[c] as string] = value as Value;
      else assignField(row, names[c] as string, value);
    }
    return row;
  };
}
