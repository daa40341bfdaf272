/**
 * The PostgreSQL source. Each stream runs on its own connection through a server-side cursor
 * (pg-cursor: an extended-protocol portal fetched `batchSize` rows at a time), so memory holds at
 * most two batches — the one being consumed and the next one, fetched meanwhile — whatever the
 * model returns. Values arrive as text and are converted per type OID (postgres-values.ts).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assignField, findDuplicateName } from '../../core/normalise.js';
import { columnValues, type TextColumns } from '../../core/text-columns.js';
import type { Row, Value } from '../../core/values.js';
import {
  type Source,
  type SourceCapabilities,
  type SourceContext,
  type StreamOptions,
  type TemporaryTable,
  temporaryTableUnavailable,
} from '../source.js';
import type { PgClientConfig, PgClientLike, PgCursorLike, PgDriver, PgFieldLike } from './postgres-client.js';
import {
  fallsBack,
  type PostgresConnectPlan,
  type PostgresSettings,
  planPostgresConnection,
} from './postgres-config.js';
import {
  closedError,
  connectError,
  duplicateColumnError,
  interruptedError,
  mayBeAnotherServer,
  notPostgresError,
  queryError,
  temporaryTableError,
  temporaryTableFix,
  wordsOf,
} from './postgres-errors.js';
import { identifyServer } from './postgres-probe.js';
import { pgTypeName, pgTypes } from './postgres-values.js';

/** A temporary table in the session's own schema, whatever the search_path says. */
const temporaryTableSql = (name: string): string => `pg_temp.${name}`;

/** PostgreSQL's dialect: standard double-quoted identifiers. */
export const postgresCapabilities: SourceCapabilities = Object.freeze({
  quoteIdentifier: (name: string) => `"${name.replaceAll('"', '""')}"`,
  // row_to_json of the subquery's row: strings quoted, NULL as null, every column by name.
  // `m.*` as a function argument is the whole row of `m`; a bare `m` would be a column named m.
  rowHashSql: (alias: string) => `md5(row_to_json(${alias}.*)::text)`,
  // The bound is cast to the column's own type, so the comparison needs no time zone and an index
  // on the column serves it.
  cursorCondition: (column: string, type: string | undefined, since: string) => {
    if (type === 'timestamptz') return { sql: `${column} >= CAST($1 AS timestamptz)`, param: since };
    if (type === 'timestamp') return { sql: `${column} >= CAST($1 AS timestamp)`, param: since.slice(0, -1) };
    if (type === 'date') return { sql: `${column} >= CAST($1 AS date)`, param: since.slice(0, 10) };
    return `it is ${type ?? 'of an unknown type'}, not a timestamptz, timestamp or date`;
  },
  temporaryTableSql: (name: string) => temporaryTableSql(name),
  // The type's output text (what Sluice reads the key from) under "C", the temporary table's
  // collation: bytes compared as they are, and no clash with a key column's own collation (two
  // different implicit collations cannot be compared; an explicit one wins).
  keyTextSql: (key: string) => `cast(${key} as text) collate "C"`,
  // PostgreSQL has no min(uuid) nor min(boolean); every type has a text.
  leastKeySql: (key: string) => `cast(${key} as text) collate "C"`,
});

interface Fetched {
  rows: unknown[][];
  fields: PgFieldLike[];
}

/**
 * A `Source` over a PostgreSQL database. Nothing connects until `check` or `stream`. Aborting a
 * stream's signal cancels its query on the server (`pg_cancel_backend` from a second connection),
 * so a long sort stops at once; `close` does the same for every running stream.
 */
export class PostgresSource implements Source {
  readonly type = 'postgres';
  readonly capabilities = postgresCapabilities;
  readonly #driver: PgDriver;
  readonly #name: string;
  readonly #settings: PostgresSettings;
  readonly #baseDir: string;
  /** Open connections, each marked with whether a query may be running on it. */
  readonly #clients = new Map<PgClientLike, { busy: boolean }>();
  #plan: Promise<PostgresConnectPlan> | undefined;
  #closed = false;

  constructor(driver: PgDriver, settings: PostgresSettings, context: SourceContext) {
    this.#driver = driver;
    this.#name = context.name;
    this.#settings = settings;
    this.#baseDir = context.workspaceDir;
  }

  async check(): Promise<void> {
    const { client, plan } = await this.#connect();
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.#assertGoing(undefined);
      throw queryError(this.#name, error, plan.password, plan.statementTimeoutMs);
    } finally {
      await this.#release(client);
    }
  }

  /**
   * Yields the query's rows in batches of exactly `batchSize` (the last one shorter; never an empty
   * one). Aborting `signal` cancels the query and makes the iteration throw
   * `SluiceError('interrupted')`; stopping early (`break`) closes the cursor and the connection.
   */
  stream(sql: string, options: StreamOptions): AsyncGenerator<Row[], void, undefined> {
    return this.#stream(sql, options, undefined);
  }

  /**
   * `stream` after loading `table` on the query's own connection, in a read-write transaction of
   * Sluice's own statements that ends before the query starts: CREATE TEMP TABLE (PostgreSQL allows
   * no CREATE in the session's read-only transactions), COPY … FROM STDIN, ANALYZE (autovacuum
   * never analyses a temporary table: without it the join is planned without knowing how many
   * distinct keys the table holds), COMMIT. The
   * model's query itself still runs read-only (SPEC §5). The table lives in the session's own
   * schema, invisible to other sessions and dropped with the connection when the stream ends.
   * Aborting `signal` or `close` during the load stops the COPY (CopyFail, or the connection's end).
   */
  async *streamWithTable(
    table: TemporaryTable,
    sql: string | Promise<string>,
    options: StreamOptions,
  ): AsyncGenerator<Row[], void, undefined> {
    // The sync hands PostgreSQL a finished query (only an in-process engine's is made meanwhile).
    const text = await sql;
    yield* this.#stream(text, options, (client, plan) => this.#load(client, plan, table, options.signal));
  }

  /** Creates and fills `table` (see {@link streamWithTable}). */
  async #load(
    client: PgClientLike,
    plan: PostgresConnectPlan,
    table: TemporaryTable,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const columns = table.columns.map((name) => `${name} text COLLATE "C" NOT NULL`).join(', ');
    const name = temporaryTableSql(table.name);
    try {
      // A pooler in session mode without a reset query (PgBouncer's server_reset_query) can hand
      // over a server session that still has the table of an earlier run: it goes first.
      await client.query(
        `START TRANSACTION READ WRITE; DROP TABLE IF EXISTS ${name}; CREATE TEMP TABLE ${table.name} (${columns}) ON COMMIT PRESERVE ROWS`,
      );
      this.#assertGoing(signal);
      const copy = client.query(
        this.#driver.copyFrom(`COPY ${name} (${table.columns.join(', ')}) FROM STDIN`),
      );
      await pipeline(Readable.from(copyText(table.pages)), copy, ...(signal ? [{ signal }] : []));
      await client.query(`ANALYZE ${name}; COMMIT`);
    } catch (error) {
      this.#assertGoing(signal);
      const config = plan.attempts[0]?.config;
      const fix = temporaryTableFix(error, {
        database: config?.database ?? config?.user ?? '<database>',
        user: config?.user ?? '<user>',
      });
      if (fix !== undefined)
        throw temporaryTableUnavailable(this.#name, wordsOf(error, plan.password), fix, error);
      throw temporaryTableError(this.#name, error, plan.password);
    }
  }

  async *#stream(
    sql: string,
    options: StreamOptions,
    prepare: ((client: PgClientLike, plan: PostgresConnectPlan) => Promise<void>) | undefined,
  ): AsyncGenerator<Row[], void, undefined> {
    const { batchSize, signal } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.#assertGoing(signal);
    const { client, plan } = await this.#connect();
    const state = this.#clients.get(client);
    if (state) state.busy = true;
    const onAbort = () => void this.#cancel(client, plan);
    signal?.addEventListener('abort', onAbort, { once: true });
    let cursor: PgCursorLike | undefined;
    let pending: Promise<Fetched> | undefined;
    let finished = false;
    const read = (c: PgCursorLike): Promise<Fetched> => {
      const next = fetchRows(c, batchSize).catch((error: unknown) => {
        this.#assertGoing(signal);
        throw queryError(this.#name, error, plan.password, plan.statementTimeoutMs, {
          sql,
          ...(options.modelLines ? { frame: options.modelLines } : {}),
        });
      });
      next.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled
      return next;
    };
    try {
      if (prepare !== undefined) await prepare(client, plan);
      this.#assertGoing(signal);
      cursor = client.query(
        new this.#driver.Cursor(sql, options.params === undefined ? undefined : [...options.params], {
          rowMode: 'array',
          types: pgTypes,
        }),
      );
      pending = read(cursor);
      let fetched = await pending;
      pending = undefined;
      const toRows = rowBuilder(this.#name, fetched.fields);
      options.onColumns?.(fetched.fields.map((f) => ({ name: f.name, type: pgTypeName(f.dataTypeID) })));
      while (fetched.rows.length > 0) {
        // A full batch may have more behind it: the server computes it while this one is consumed.
        if (fetched.rows.length === batchSize) pending = read(cursor);
        yield toRows(fetched.rows);
        this.#assertGoing(signal);
        if (pending === undefined) break;
        fetched = await pending;
        pending = undefined;
      }
      finished = true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (pending !== undefined) await pending.catch(() => undefined);
      // An unfinished portal holds the snapshot (and its locks) until closed.
      if (cursor !== undefined && !finished && !this.#closed) await cursor.close().catch(() => undefined);
      if (state) state.busy = false;
      await this.#release(client);
    }
  }

  /** Cancels running queries, closes every connection; streams still open end with source_error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const plan = await this.#plan?.catch(() => undefined);
    const clients = [...this.#clients];
    this.#clients.clear();
    await Promise.all(
      clients.map(async ([client, state]) => {
        if (state.busy && plan !== undefined) await this.#cancel(client, plan);
        await client.end().catch(() => undefined);
      }),
    );
  }

  #assertGoing(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw interruptedError(this.#name, signal.reason);
    if (this.#closed) throw closedError(this.#name);
  }

  /** A connected client with the session set up, trying each TLS attempt that sslmode allows. */
  async #connect(): Promise<{ client: PgClientLike; plan: PostgresConnectPlan }> {
    this.#assertGoing(undefined);
    this.#plan ??= planPostgresConnection(this.#settings, { sourceName: this.#name, baseDir: this.#baseDir });
    const plan = await this.#plan;
    for (let i = 0; ; i++) {
      const attempt = plan.attempts[i] as PostgresConnectPlan['attempts'][number];
      const client = new this.#driver.Client(attempt.config);
      // A connection that breaks while idle reports it as an event; the next call fails anyway.
      client.on('error', () => undefined);
      this.#clients.set(client, { busy: false });
      try {
        await client.connect();
        await client.query(plan.sessionSql);
        this.#assertGoing(undefined);
        return { client, plan };
      } catch (error) {
        await this.#release(client);
        this.#assertGoing(undefined);
        if (i + 1 < plan.attempts.length && fallsBack(error, attempt.tls)) continue;
        throw await this.#connectFailure(plan, attempt.config, error);
      }
    }
  }

  /**
   * The error for a failed connection. When the failure may mean another kind of server listens at
   * the address (pg then speaks of TLS or of an unexpected message), ask the address itself, so the
   * user hears "not PostgreSQL" instead of advice about sslmode.
   */
  async #connectFailure(plan: PostgresConnectPlan, config: PgClientConfig, error: unknown): Promise<Error> {
    const { host, port } = config;
    if (host !== undefined && port !== undefined && !host.startsWith('/') && mayBeAnotherServer(error)) {
      const identity = await identifyServer(host, port);
      if (identity.kind === 'other') {
        const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
        return notPostgresError(this.#name, plan.target, address, identity.looksLike, error);
      }
    }
    return connectError(this.#name, plan.target, error, plan.password);
  }

  async #release(client: PgClientLike): Promise<void> {
    if (!this.#clients.delete(client)) return; // close() took it
    await client.end().catch(() => undefined);
  }

  /**
   * Cancels whatever `client` runs, from a second connection (PostgreSQL's way: the first one is
   * busy). Best effort: if it fails, the query's own end or the connection's closing stops it.
   */
  async #cancel(client: PgClientLike, plan: PostgresConnectPlan): Promise<void> {
    const pid = client.processID;
    if (pid === null || pid === undefined) return;
    for (const attempt of plan.attempts) {
      const canceller = new this.#driver.Client(attempt.config);
      canceller.on('error', () => undefined);
      try {
        await canceller.connect();
        await canceller.query(`SELECT pg_cancel_backend(${Math.trunc(pid)})`);
        return;
      } catch {
        // Try the next TLS attempt, if any.
      } finally {
        await canceller.end().catch(() => undefined);
      }
    }
  }
}

/**
 * A temporary table's pages as COPY's text format: a line per row, columns split by tabs, with
 * backslash, tab, newline and carriage return escaped. A row with a value that PostgreSQL text
 * cannot hold (a NUL, a lone UTF-16 surrogate) is left out: no value in the database equals it, so
 * nothing could match it anyway, and a row missing from the warehouse diff's table is only diffed
 * in the state store.
 */
async function* copyText(pages: AsyncIterable<TextColumns>): AsyncGenerator<string> {
  for await (const packed of pages) {
    const page = columnValues(packed);
    const rows = page[0]?.length ?? 0;
    let text = '';
    for (let r = 0; r < rows; r++) {
      let line = '';
      let held = true;
      for (let c = 0; c < page.length; c++) {
        const value = (page[c] as readonly string[])[r] as string;
        if (UNHELD.test(value)) {
          held = false;
          break;
        }
        line +=
          (c === 0 ? '' : '\t') + (ESCAPED.test(value) ? value.replace(ESCAPED_ALL, escapeCopy) : value);
      }
      if (held) text += `${line}\n`;
    }
    if (text !== '') yield text;
  }
}

const UNHELD = /[\0\uD800-\uDFFF]/u;
const ESCAPED = /[\\\t\n\r]/;
const ESCAPED_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};
const escapeCopy = (c: string): string => COPY_ESCAPES[c] as string;

/** The next `count` rows of a cursor, with the result's fields. */
function fetchRows(cursor: PgCursorLike, count: number): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) => {
      if (error) reject(error);
      else resolve({ rows, fields: result.fields });
    });
  });
}

/** Turns the value arrays of one result into rows keyed by column name, in column order. */
function rowBuilder(sourceName: string, fields: readonly PgFieldLike[]): (rows: unknown[][]) => Row[] {
  const names = fields.map((f) => f.name);
  const duplicate = findDuplicateName(names);
  if (duplicate !== undefined) throw duplicateColumnError(sourceName, duplicate);
  const plain = !names.includes('__proto__');
  return (rows) => {
    const out: Row[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const values = rows[r] as Value[];
      const row: Row = {};
      if (plain) for (let c = 0; c < names.length; c++) row[names[c] as string] = values[c] as Value;
      else for (let c = 0; c < names.length; c++) assignField(row, names[c] as string, values[c] as Value);
      out[r] = row;
    }
    return out;
  };
}
