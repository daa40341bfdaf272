/**
 * The subset of `pg` that the PostgreSQL state store uses, written out structurally (as
 * `sources/postgres/postgres-client.ts` does): nothing here imports the driver. `state/registry.ts`
 * loads it lazily and passes it in; that call proves at compile time that the real module fits.
 */

/** A query's rows (objects keyed by column name) and how many rows it touched. */
export interface PgResult<R> {
  rows: R[];
  rowCount: number | null;
}

/** Something that runs a parameterised statement: the pool, or one checked-out connection. */
export interface PgQueryable {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PgResult<R>>;
}

/** A connection checked out of the pool, for a transaction. */
export interface PgPoolClientLike extends PgQueryable {
  /** Back to the pool; with an error (or true) the connection is closed instead. */
  release(error?: Error | boolean): void;
}

/** The pool settings the store passes; a subset of pg's `PoolConfig`. */
export interface PgPoolConfig {
  connectionString: string;
  /** Startup `options`: the store sets `-c search_path=<schema>`. */
  options?: string;
  application_name?: string;
  max?: number;
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
}

/** `pg.Pool`. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
  /** An idle connection that breaks reports it here; without a listener the process would crash. */
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The driver module: only its pool. */
export interface PgStateDriver {
  Pool: new (config: PgPoolConfig) => PgPoolLike;
}
