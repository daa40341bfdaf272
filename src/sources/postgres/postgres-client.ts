/**
 * The subset of `pg`, `pg-cursor` and `pg-copy-streams` that the PostgreSQL source uses, written out structurally
 * (kysely's `PostgresPool` habit): nothing here imports a driver. `sources/registry.ts` loads both
 * lazily and passes them in; its call proves at compile time that the real modules fit.
 */
import type { Writable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';

/** Turns one value's text (never null: the driver keeps NULL as null) into the shared value model. */
export type PgTextParser = (text: string) => unknown;

/** What the driver asks for each column of a result: the parser for its type OID. */
export interface PgTypes {
  getTypeParser(oid: number, format?: string): PgTextParser;
}

/** One column of a result (a RowDescription field). */
export interface PgFieldLike {
  readonly name: string;
  /** The type's OID, e.g. 20 for int8; see `PgOids` in postgres-values.ts. */
  readonly dataTypeID: number;
}

/** The client settings the source passes; a subset of pg's `ClientConfig`. */
export interface PgClientConfig {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: false | ConnectionOptions;
  application_name?: string;
  /** Startup `options`, e.g. "-c search_path=app". */
  options?: string;
  /** 0 waits for ever, which an unreachable host would do: the source always sets it. */
  connectionTimeoutMillis?: number;
  keepAlive?: boolean;
}

/** A server-side cursor (pg-cursor): an extended-protocol portal read `rows` at a time. */
export interface PgCursorLike {
  /** The next rows (fewer only at the end; none once done), with the result's fields. */
  read(
    rows: number,
    callback: (error: Error | undefined, rows: unknown[][], result: { fields: PgFieldLike[] }) => void,
  ): void;
  /** Closes the portal and waits until the connection is ready for another statement. */
  close(): Promise<void>;
}

export interface PgCursorConstructor {
  new (
    text: string,
    values: string[] | undefined,
    config: { rowMode: 'array'; types: PgTypes },
  ): PgCursorLike;
}

/**
 * `COPY … FROM STDIN` (pg-copy-streams' `from`): a writable stream of the COPY's data, which
 * finishes once the server has taken all of it; destroying it sends CopyFail, which aborts the COPY.
 */
export type PgCopyFromLike = Writable;

/** One connection: `pg.Client`. */
export interface PgClientLike {
  connect(): Promise<unknown>;
  /** Runs a statement with the simple protocol (several `;`-separated ones allowed). */
  query(text: string): Promise<unknown>;
  /** Runs one statement with `$n` parameters (the extended protocol): the writeback's inserts. */
  query(text: string, values: (string | null)[]): Promise<unknown>;
  /** Submits a cursor or a COPY; it starts running when the connection reaches it. */
  query<T extends PgCursorLike | PgCopyFromLike>(submittable: T): T;
  end(): Promise<void>;
  /** A connection that breaks while idle reports it here; without a listener the process would crash. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /**
   * The server process serving this connection, known once connected: what `pg_cancel_backend`
   * takes. Present at run time; pg's typings leave it out.
   */
  readonly processID?: number | null;
}

/** The driver modules: `pg` itself, `pg-cursor`'s default export and pg-copy-streams' `from`. */
export interface PgDriver {
  Client: new (config: PgClientConfig) => PgClientLike;
  Cursor: PgCursorConstructor;
  copyFrom: (sql: string) => PgCopyFromLike;
}
