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
   */
  rowHashSql?(alias: string): string;
}

export interface StreamOptions {
  /** Rows per yielded batch. */
  batchSize: number;
  signal?: AbortSignal;
}

/**
 * A warehouse connection. `stream` yields the rows of a query in batches, normalised to the shared
 * value model (core/values.ts), and never holds the whole result in memory.
 */
export interface Source {
  readonly type: string;
  readonly capabilities: SourceCapabilities;
  stream(sql: string, options: StreamOptions): AsyncIterable<Row[]>;
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
