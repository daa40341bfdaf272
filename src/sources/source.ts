import { isSluiceError, SluiceError } from '../core/errors.js';
import type { TextColumns } from '../core/text-columns.js';
import type { Row } from '../core/values.js';
import type { SourceConfig } from '../core/workspace.js';

/** What differs between SQL engines, kept in one object instead of `if (type === …)` around the code. */
export interface SourceCapabilities {
  /** Quotes an identifier for this dialect: "id" for most, `id` for MySQL. */
  quoteIdentifier(name: string): string;
  /**
   * An SQL expression for a text hash of a whole row of the (already quoted) table alias, computed
   * by the warehouse: equal rows give equal hashes, and a row whose values differ in any way
   * (including NULL versus the text 'NULL') gives another. It must refer to the row only through the
   * alias qualified (`m.*`), never the bare alias, which a column of the same name would capture.
   * Engines without one leave it out and the sync fingerprints rows itself.
   *
   * `columns` are the model's columns where the sync probed them (engines that are `inProcess`):
   * an engine may then pick a cheaper hash the types allow. The same columns must always give the
   * same expression — fingerprints stored by one run are compared with the next run's hashes, and
   * a hash that changes only costs that next run a remapping of every row (sync/plan-batch.ts).
   */
  rowHashSql?(alias: string, columns?: readonly SourceColumn[]): string;
  /**
   * What the extract query partitions by to count rows per key, given the (quoted, qualified) key
   * column, where the engine's own equality is looser than the key's text: a case-insensitive or
   * PAD SPACE collation makes `abc`, `ABC` and `abc ` one value, while Sluice sends them as three
   * keys — partitioning by the collation alone would call all three duplicates and send none.
   * Engines whose equality is the key's (binary collations by default) leave it out.
   */
  keyPartitionSql?(key: string): string;
  /**
   * The engine runs inside Sluice's process (DuckDB): a window over the whole result or a sort
   * would hold the model in Sluice's own memory (a server engine holds it on the server, spilling
   * by its own settings). The extract then finds duplicate keys with a keys-only `group by`, counts
   * the result in a subquery, and streams rows in the model's own order (sync/extract.ts).
   */
  inProcess?: boolean;
  /**
   * An event cursor's window (SPEC §3 "Event cursors"): the condition that keeps the rows whose
   * (quoted, qualified) `column` is at or after the instant `since` (ISO-8601 UTC with milliseconds,
   * as `Date.prototype.toISOString` writes it), and the text of the one query parameter it reads.
   * The column itself is compared, never wrapped in a function where the engine can avoid it, so an
   * index or the engine's min/max pruning still skips what is older. `type` is the column's type as
   * `onColumns` names it: a column that holds no timestamps or dates answers a sentence saying so.
   */
  cursorCondition(column: string, type: string | undefined, since: string): CursorCondition | string;
  /**
   * How a query names a temporary table of `streamWithTable` (its plain `name`): DuckDB's
   * connection-private catalog `temp.<name>`, PostgreSQL's session schema `pg_temp.<name>`. Engines
   * whose sources load no temporary table leave it out.
   */
  temporaryTableSql?(name: string): string;
  /**
   * The text of the (quoted, qualified) key column as a warehouse diff compares it with a temporary
   * table's text column, byte for byte (sync/extract.ts buildDiffExtract). Where it differs from
   * Sluice's own text of the key, nothing matches and the row is diffed in the state store: slower,
   * never wrong. Present with `temporaryTableSql`.
   */
  keyTextSql?(key: string): string;
  /**
   * What a warehouse diff takes the least of (`min(…) over ()`) to find the one key whose rows
   * always come through, given the (quoted, qualified) key column: the column itself when left out,
   * its text where the engine lacks `min` for some key types (PostgreSQL: uuid, boolean).
   */
  leastKeySql?(key: string): string;
}

/** A filter on the model's rows whose one parameter (`$1` or `?`) is `param`. */
export interface CursorCondition {
  sql: string;
  param: string;
}

/** One column of a result: its name, and the engine's name for its type where the engine says. */
export interface SourceColumn {
  name: string;
  /** E.g. "BIGINT" (DuckDB), "int8" (PostgreSQL), "LONGLONG" (MySQL), the declared type (SQLite). */
  type?: string;
}

/**
 * The lines of a query that are the user's own SQL, when Sluice wrapped a model in a query of its
 * own: `first` is the 1-based line of the query where the model's first line is, `count` how many
 * lines the model has.
 */
export interface ModelLines {
  first: number;
  count: number;
}

export interface StreamOptions {
  /** Rows per yielded batch. */
  batchSize: number;
  signal?: AbortSignal;
  /**
   * Called once with the result's columns as soon as they are known: before the first batch, and
   * also when the result has no rows (so `select … limit 0` tells the columns without reading any).
   */
  onColumns?: (columns: readonly SourceColumn[]) => void;
  /**
   * Where the model sits in `sql`. An error the engine places on a line (DuckDB's "LINE n",
   * PostgreSQL's position, MySQL's "at line n") then counts lines of the model, not of Sluice's
   * wrapper, and carries that line as `details.modelLine`; one outside the model says it is in
   * Sluice's wrapper (`details.inWrapper`).
   */
  modelLines?: ModelLines;
  /** Values of the query's parameters (`$1`… or `?`), in order; all text (SourceCapabilities.cursorCondition). */
  params?: readonly string[];
}

/**
 * A table of text columns that a query needs beside the warehouse's own (a sync's delivered
 * fingerprints, sync/warehouse-diff.ts), loaded for one query only.
 */
export interface TemporaryTable {
  /** A plain identifier ([a-z_]+), quoted by nobody: the query names it as `capabilities.temporaryTableSql` says. */
  name: string;
  /** Its columns' names (plain identifiers, like `name`), all of type text. */
  columns: readonly string[];
  /**
   * Its rows a page at a time, column by column (core/text-columns.ts): lists, `page[c][r]` for
   * column c of row r, or packed, one string per column, which a source can bind as is.
   */
  pages: AsyncIterable<TextColumns>;
}

/**
 * A warehouse connection. `stream` yields the rows of a query in batches, normalised to the shared
 * value model (core/values.ts), and never holds the whole result in memory.
 */
export interface Source {
  readonly type: string;
  readonly capabilities: SourceCapabilities;
  stream(sql: string, options: StreamOptions): AsyncIterable<Row[]>;
  /**
   * Like `stream`, on a connection where `table` was first created as a temporary table (private
   * to that connection, gone with it: the warehouse itself is not written, SPEC §5) and loaded with
   * the engine's bulk path. Sources that cannot leave it out, and the sync diffs in the state store.
   * Where this connection cannot have one (PostgreSQL: a role without the TEMP privilege, a hot
   * standby), the iteration throws {@link temporaryTableUnavailable}'s error before any row, and
   * the sync diffs in the state store instead. `sql` may still be in the making while the table
   * loads (an in-process engine's extract decides its shape by a check that runs meanwhile): it is
   * awaited once the table is loaded.
   */
  streamWithTable?(
    table: TemporaryTable,
    sql: string | Promise<string>,
    options: StreamOptions,
  ): AsyncIterable<Row[]>;
  /** Connects and runs a trivial query; throws SluiceError('source_error') saying what to check. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export interface SourceContext {
  /** The source's name in sluice.yaml, for error messages. */
  name: string;
  /** Absolute workspace folder: relative paths in models resolve against it. */
  workspaceDir: string;
}

export type SourceFactory = (config: SourceConfig, context: SourceContext) => Promise<Source>;

/**
 * One row of a run's warehouse writeback (SPEC §7): a record of the run, with the columns the table
 * has. `payload` is the message sent, as JSON text; `recorded_at` an ISO-8601 UTC instant.
 */
export interface WritebackRow {
  sync: string;
  run_id: string;
  key: string | null;
  status: string;
  reason: string | null;
  message_id: string | null;
  /** The destination call: identify, group or track. */
  operation: string;
  payload: string | null;
  recorded_at: string;
}

export interface WritebackRequest {
  /** `name` or `schema.name`, each part checked by `writebackTableParts` (sources/writeback-table.ts). */
  table: string;
  runId: string;
  /** The run's rows, a page at a time; read once, inside the writer's transaction. */
  rows: AsyncIterable<WritebackRow[]>;
}

/**
 * Writes a run's records into a table of a writable source (SPEC §5, §7): the one place Sluice writes
 * to a warehouse. Each `write` opens a connection of its own for writing (never the source's read-only
 * one), creates the table if missing, replaces the run's rows in one transaction (delete the run's
 * rows, insert the new ones in batches: writing a run again never duplicates it), and closes the
 * connection. Answers how many rows it wrote; throws `SluiceError('source_error')` saying what failed.
 */
export interface WritebackWriter {
  write(request: WritebackRequest): Promise<number>;
}

/**
 * The error of a `streamWithTable` whose connection may not create the temporary table: the
 * server's `words`, and `fix`, what would let it (the sync falls back to the state store unless it
 * says `diff: warehouse`, sync/detect-changes.ts).
 */
export function temporaryTableUnavailable(
  sourceName: string,
  words: string,
  fix: string,
  cause: unknown,
): SluiceError {
  return new SluiceError(
    'source_error',
    `source "${sourceName}" cannot create a temporary table for the warehouse diff: ${words} — ${fix}`,
    { cause, details: { temporaryTable: 'unavailable', fix } },
  );
}

/** Whether `error` is {@link temporaryTableUnavailable}'s. */
export function isTemporaryTableUnavailable(error: unknown): error is SluiceError {
  return isSluiceError(error) && error.details.temporaryTable === 'unavailable';
}
