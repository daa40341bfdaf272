/**
 * The resolved, validated workspace: what `workspace/load-workspace.ts` produces from `sluice.yaml`
 * (SPEC §1) after `${VAR}` interpolation and every cross-reference check. Everything here is frozen
 * and plain data: no secrets are hidden yet (see `Secret`), no paths are relative.
 */

/** A string read from config that must never be printed, logged or stored (write keys, passwords). */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The clear value: call only where it goes on the wire. */
  reveal(): string {
    return this.#value;
  }

  /** A safe hint for humans: the last 4 characters, e.g. "…x7Qz". */
  fingerprint(): string {
    return this.#value.length <= 4 ? '…' : `…${this.#value.slice(-4)}`;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}

/**
 * TLS settings of a network source, libpq's names for both PostgreSQL and MySQL. `sslmode` is
 * disable | allow | prefer | require | verify-ca | verify-full; the files are absolute paths (PEM).
 */
export interface SourceTlsConfig {
  sslmode?: string;
  /** CA certificate(s) to verify the server against (verify-ca, verify-full). */
  sslrootcert?: string;
  /** Client certificate and its key, for servers that require one. */
  sslcert?: string;
  sslkey?: string;
}

/**
 * Resource settings of the embedded DuckDB behind the duckdb and files sources (src/sources/README.md).
 * Absent keys keep DuckDB's defaults.
 */
export interface DuckDBResourceConfig {
  /** DuckDB's `memory_limit` as a size with its unit, e.g. "512MB" or "1GiB"; default 80% of RAM. */
  memoryLimit?: string;
  /** Where DuckDB spills what does not fit in `memoryLimit` (an absolute folder). */
  tempDirectory?: string;
  /** DuckDB's worker threads; default one per core. Each thread needs memory of its own. */
  threads?: number;
}

export type SourceConfig =
  | ({ type: 'duckdb'; path: string /* absolute, or ":memory:" */ } & DuckDBResourceConfig)
  | ({ type: 'postgres'; url: Secret; statementTimeoutMs?: number } & SourceTlsConfig)
  | ({ type: 'mysql'; url: Secret; statementTimeoutMs?: number } & SourceTlsConfig)
  | { type: 'sqlite'; path: string }
  | ({ type: 'files' } & DuckDBResourceConfig);

/**
 * A `destinations.<name>` entry as core and sync see it: opaque. Only its destination type (found by
 * `type` in destinations/registry.ts) knows what `config` holds; it made it with its own
 * `parseConfig` and reads it again in `create` (Segment's write key, a file's path, …).
 */
export interface DestinationConfig {
  /** The `type:` of the entry, e.g. "segment". */
  type: string;
  /** The entry's name under `destinations:`. */
  name: string;
  /** What the type's `parseConfig` returned; secrets inside it are `Secret`s. */
  config: unknown;
  /**
   * `rate_limit: 1000/s`: messages a second that every run on every worker sends to this
   * destination together, at most (SPEC §5).
   */
  rateLimit?: { perSecond: number };
}

export interface ModelConfig {
  source: string;
  /** The model's SQL, read from `file:` when given that way. */
  sql: string;
  /**
   * Where the SQL was written, so problems in it (an SQL error at line 4) name the user's own file
   * and line: for `file:`, the file as written in sluice.yaml (relative to the workspace) and line 1;
   * for `sql:`, the workspace file and the line of `sql:` (`inline`: line N of the SQL is then
   * reported as such, since YAML folding makes its line in the file uncertain).
   */
  origin: { file: string; line: number; inline: boolean };
}

/**
 * The `object:` of a sync: the workspace's words (SPEC §1). What each means (which call, which
 * fields, which ids) is its destination type's business: `ObjectDescriptor` in destinations/.
 */
export type ObjectKind = 'user' | 'group' | 'event';

/** How one destination path is filled. */
export type MappingSource =
  | { kind: 'column'; column: string }
  | { kind: 'constant'; value: unknown }
  | { kind: 'template'; template: string; json: boolean };

export interface Mapping {
  /** Destination path, e.g. "traits.address.city" or "traits.tags[0]". */
  path: string;
  source: MappingSource;
  /** Per-mapping override of the sync's `nulls` policy. */
  nulls?: 'send' | 'skip';
  /** 1-based line in sluice.yaml, for error messages at run time. */
  line: number;
}

export interface BundleConfig {
  into: string;
  include?: string[];
  exclude?: string[];
}

export type ScheduleConfig =
  | { kind: 'cron'; cron: string; timezone?: string }
  | { kind: 'every'; everyMs: number }
  | { kind: 'continuous' }
  | { kind: 'after'; syncs: string[] };

export interface RetryPolicy {
  /** Abandon a row after this many failed delivery attempts (runs); undefined = unbounded. */
  maxAttempts?: number;
  /** Abandon a row this long after its first failure, in ms; undefined = unbounded. */
  maxAgeMs?: number;
}

/** What an alert watches for (SPEC §7). */
export type AlertKind =
  | 'run_failed'
  | 'failed_rows'
  | 'invalid_rows'
  | 'runtime'
  | 'zero_rows'
  | 'row_count_change';

export const ALERT_KINDS: readonly AlertKind[] = [
  'run_failed',
  'failed_rows',
  'invalid_rows',
  'runtime',
  'zero_rows',
  'row_count_change',
];

/**
 * One `alerts:` entry, at the top level (every sync) or inside a sync (SPEC §7). An alert of a sync
 * is identified by its `id`, so the same rule written at both levels is one alert, and a rule whose
 * threshold changes is a new alert.
 */
export interface AlertRule {
  /**
   * The rule in canonical words, e.g. "run_failed", "failed_rows over 5%", "runtime over 30m",
   * "row_count_change over 50% of the last 5 runs": stable across loads of an unchanged rule.
   */
  id: string;
  when: AlertKind;
  /**
   * The threshold: a fraction (0.05 for 5%) for failed_rows, invalid_rows and row_count_change;
   * milliseconds for runtime; absent for run_failed and zero_rows.
   */
  over?: number;
  /** row_count_change only: how many completed runs the mean is taken over (default 5). */
  lastRuns?: number;
  /** Names of `notify:` targets (checked to exist when the workspace loads). */
  notify: string[];
  /** Where it is written in the workspace file. */
  line: number;
}

/** The events a notification can be about (SPEC §7): a run's lifecycle, and alerts changing state. */
export type NotificationType =
  | 'run.started'
  | 'run.completed'
  | 'run.failed'
  | 'alert.raised'
  | 'alert.resolved';

export const NOTIFICATION_TYPES: readonly NotificationType[] = [
  'run.started',
  'run.completed',
  'run.failed',
  'alert.raised',
  'alert.resolved',
];

/**
 * A `notify:` target (SPEC §7). Its URL is a `Secret` (a Slack webhook's URL is its credential, and
 * a webhook URL may carry a token): only its host is ever shown.
 */
export type NotifyTarget =
  | { name: string; type: 'webhook'; url: Secret; secret?: Secret; line: number }
  | { name: string; type: 'slack'; url: Secret; line: number };

/** `webhooks:`: which lifecycle events go to which `notify:` targets, for every sync. */
export interface WebhooksConfig {
  notify: string[];
  events: NotificationType[];
  line: number;
}

/** An event sync's high-water mark column and how far before the mark a run reads again. */
export interface SyncCursor {
  column: string;
  /** How far before the last delivered cursor value a run reads again, for rows that arrive late. */
  lookbackMs: number;
  line: number;
}

export interface SyncConfig {
  name: string;
  model: string;
  destination: string;
  object: ObjectKind;
  /** `field` is one of the destination object's `keyFields` (checked when the workspace loads). */
  key: { column: string; field?: string };
  mappings: Mapping[];
  bundle?: BundleConfig;
  nulls: 'send' | 'skip';
  backfill: boolean;
  schedule?: ScheduleConfig;
  retry: RetryPolicy;
  /**
   * `writeback: { source, table }`: after each real run, its records go into this table of this
   * writable source (SPEC §7). `line` is where it is written, for problems found when it runs.
   */
  writeback?: { source: string; table: string; line: number };
  /**
   * `cursor: { column, lookback? }` (event syncs only, SPEC §3 "Event cursors"): a run reads only
   * rows whose `column` (a timestamp or date) is at or after the sync's high-water mark minus
   * `lookbackMs`; rows whose cursor is null are read on every run. `line` is where it is written.
   */
  cursor?: SyncCursor;
  /**
   * `diff: warehouse | state`: where a run finds unchanged rows (sync/detect-changes.ts). Absent:
   * in the warehouse where the source can (DuckDB, files, PostgreSQL) and the sync has no cursor,
   * else in the state store — also when the source's connection refuses the temporary table
   * (PostgreSQL without the TEMP privilege, a read replica), with a warning. `state` always diffs
   * in the state store; `warehouse` fails a run whose source or connection cannot.
   */
  diff?: 'warehouse' | 'state';
  /**
   * The alerts that watch this sync: the workspace's top-level `alerts:` followed by the sync's own,
   * one per `id` (SPEC §7). Absent or empty: none.
   */
  alerts?: AlertRule[];
  /** The workspace file as shown to the user ("sluice.yaml"), for problems found after loading. */
  file: string;
  /** 1-based lines in that file: the sync's entry, its `key:` and its `bundle:` (0 when absent). */
  line: number;
  keyLine: number;
  bundleLine: number;
}

export interface Workspace {
  /** Absolute folder holding sluice.yaml. */
  dir: string;
  /** Absolute path of sluice.yaml. */
  file: string;
  /**
   * `workspace_id:` as `sluice init` wrote it: event messageIds derive from it when present, so they
   * survive a lost state (SPEC §3).
   */
  workspaceId?: string;
  /** `retention:`: per-row records of runs older than `runsMs` are pruned (SPEC §7). */
  retention?: { runsMs: number };
  /** `notify:` targets by name; absent or empty when there are none. */
  notify?: Record<string, NotifyTarget>;
  /** `webhooks:`; absent when no lifecycle event is sent. */
  webhooks?: WebhooksConfig;
  /** "sqlite:/abs/path/state.db" or a postgres URL (kept secret). */
  state: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: Secret };
  sources: Record<string, SourceConfig>;
  destinations: Record<string, DestinationConfig>;
  models: Record<string, ModelConfig>;
  syncs: Record<string, SyncConfig>;
}
