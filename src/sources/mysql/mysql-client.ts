/**
 * The subset of `mysql2` (its callback API) that the MySQL/MariaDB source uses, written out
 * structurally: nothing here imports the driver, which `sources/registry.ts` loads lazily and passes
 * in. The real module satisfies these interfaces; the registry's call proves it at compile time.
 */
/** One column of a result (a ColumnDefinition packet). */
export interface MysqlFieldLike {
  readonly name: string;
  /** The protocol type, e.g. 8 for LONGLONG; see `MysqlTypes` in mysql-values.ts. */
  readonly columnType: number;
  /** Display width: 1 for TINYINT(1), i.e. BOOLEAN; the bit count for BIT(n). */
  readonly columnLength: number;
  /** 63 is `binary`: BLOB, BINARY, VARBINARY (and MySQL's JSON, read as text anyway). */
  readonly characterSet: number;
  /** MariaDB's extended metadata: "json" for its JSON alias and for JSON functions' results. */
  readonly extendedFormat?: string;
}

/**
 * A running query: rows arrive as events, and the connection's pause/resume throttles them. A
 * statement that fails to prepare emits `error`, then `end`.
 */
export interface MysqlQueryLike {
  on(event: 'fields', listener: (fields: MysqlFieldLike[]) => void): this;
  on(event: 'result', listener: (row: unknown) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** The settings the source passes to `createConnection`; a subset of mysql2's `ConnectionOptions`. */
export interface MysqlConnectionConfig {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  /** PEM texts, and how much of the server's certificate to check (verifyIdentity: the host name). */
  ssl?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; verifyIdentity: boolean };
  connectTimeout: number;
  /** With `bigNumberStrings`: BIGINT always as decimal text, converted exactly by mysql-values.ts. */
  supportBigNumbers: true;
  bigNumberStrings: true;
  /** DATE, DATETIME, TIMESTAMP as text (`YYYY-MM-DD hh:mm:ss.ffffff`); no `Date` in the driver's local time zone. */
  dateStrings: true;
  /** JSON as text, parsed without rounding big integers (core/parse-json-text.ts). */
  jsonStrings: true;
  /** DECIMAL as text. */
  decimalNumbers: false;
  charset: string;
  enableKeepAlive: boolean;
  multipleStatements: false;
}

export interface MysqlConnectionLike {
  /** Waits for the handshake; the callback gets the connection's error if it failed. */
  connect(callback: (error: Error | null) => void): void;
  /**
   * A streaming prepared statement (COM_STMT_PREPARE, then COM_STMT_EXECUTE without a cursor): no
   * callback, rows as events, in the binary protocol, which carries FLOAT and DOUBLE as their IEEE
   * bytes where the text protocol writes them to 6 and 15 significant digits.
   */
  execute(options: { sql: string; rowsAsArray: true; values?: string[] }): MysqlQueryLike;
  /** A small query, answered at once. */
  query(sql: string, callback: (error: Error | null, rows: unknown) => void): unknown;
  /** A statement with `?` placeholders, filled in by the driver (the writeback's inserts). */
  query(
    sql: string,
    values: (string | null)[],
    callback: (error: Error | null, rows: unknown) => void,
  ): unknown;
  pause(): void;
  resume(): void;
  /** Sends COM_QUIT once the queued commands are done, then closes. */
  end(callback?: (error?: Error | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** The server's connection id, known once connected: what `KILL QUERY` takes. */
  readonly threadId: number | null;
  /** Ends the socket gently (FIN), as `close()` does. */
  destroy(): void;
  /**
   * The socket (present at run time; mysql2's typings leave it out): destroyed outright to drop a
   * result without reading the rest of it.
   */
  readonly stream?: { destroy(): void };
}

/** The driver module: `await import('mysql2')`. */
export interface MysqlDriver {
  createConnection(config: MysqlConnectionConfig): MysqlConnectionLike;
}
