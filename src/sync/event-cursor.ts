import { type ConfigProblem, formatProblems, SluiceError } from '../core/errors.js';
import type { Row } from '../core/values.js';
import type { ModelConfig, SyncConfig, SyncCursor } from '../core/workspace.js';
import type { CursorCondition, Source, SourceCapabilities, SourceColumn } from '../sources/source.js';
import type { CursorMark, StateStore } from '../state/state-store.js';
import { modelColumnSql, type RowFilter } from './extract.js';
import { locateModelError, probeModel } from './model-sql.js';

/** The earliest window start a bound can say in every engine's text (year 1). */
const EARLIEST_MS = Date.UTC(1, 0, 1);

/**
 * An event sync's high-water mark (SPEC §3 "Event cursors", `cursor: { column, lookback }`), for one
 * run. The rules, and why they cannot lose a row that still has to go:
 *
 * - **The window.** A run reads the rows whose cursor is at or after `mark − lookback`, and the rows
 *   whose cursor is null (they have no place in time; their keys are still sent once). At or after,
 *   not after: rows that share the mark's instant and arrive later are read too. No mark (the
 *   sync's first run, a mark taken on another column) or `--retry-abandoned` reads the whole model.
 *   Keys are still checked against the state inside the window, so a row read again (the lookback,
 *   the mark's own instant) whose key was delivered is unchanged, never resent.
 * - **The mark** moves only after a real run that completed with no failed row, to the latest
 *   cursor among the rows that run read (never backwards, never past the run's start: one row
 *   stamped in the future must not hide every row after it until then). Every row such a run read
 *   is settled — delivered, unchanged, invalid (a data problem, recorded) or abandoned by the retry
 *   policy — so nothing before the new mark is owed. A run with a failed row leaves the mark where it
 *   was: that row was read inside the old window, so the next run reads it again and retries it
 *   under its messageId, until it is delivered or abandoned. A dry run, or a run that failed or was
 *   stopped, leaves it too.
 *
 * Rows older than the window are never read again, so a late edit to them is never seen, and keys
 * that leave the model are not reported removed (the run does not read the whole model). This is
 * what a cursor buys: a run over an append-only table reads the new rows, not all of them.
 */
export class EventCursor {
  readonly #state: StateStore;
  readonly #sync: SyncConfig;
  readonly #cursor: SyncCursor;
  readonly #before: CursorMark | null;
  /** The window's first instant, or null when the run reads the whole model. */
  readonly #since: string | null;
  readonly #startedMs: number;
  #latestMs = Number.NEGATIVE_INFINITY;

  private constructor(
    state: StateStore,
    sync: SyncConfig,
    cursor: SyncCursor,
    before: CursorMark | null,
    since: string | null,
    started: Date,
  ) {
    this.#state = state;
    this.#sync = sync;
    this.#cursor = cursor;
    this.#before = before;
    this.#since = since;
    this.#startedMs = started.getTime();
  }

  /** The run's cursor, from the sync's mark; null for a sync without `cursor:`. */
  static async open(
    state: StateStore,
    sync: SyncConfig,
    options: { retryAbandoned: boolean; started: Date },
  ): Promise<EventCursor | null> {
    const cursor = sync.cursor;
    if (cursor === undefined) return null;
    const stored = await state.ledger.cursorMark(sync.name);
    const before = stored?.column === cursor.column ? stored : null;
    const sinceMs = before === null ? Number.NaN : Date.parse(before.mark) - cursor.lookbackMs;
    const since =
      options.retryAbandoned || !(sinceMs >= EARLIEST_MS) ? null : new Date(sinceMs).toISOString();
    return new EventCursor(state, sync, cursor, before, since, options.started);
  }

  /**
   * The filter that reads the window, or undefined for the whole model. Either way the cursor
   * column's type is checked first (the model probed without reading rows), so a cursor on a column
   * the model lacks, or one that holds no timestamps, fails the run before anything is sent.
   */
  async filter(
    source: Source,
    model: ModelConfig,
    options: { signal?: AbortSignal; checkColumns: (columns: readonly string[]) => void },
  ): Promise<RowFilter | undefined> {
    const { column } = this.#cursor;
    let columns: Awaited<ReturnType<typeof probeModel>>;
    try {
      columns = await probeModel(source, model.sql, options.signal);
    } catch (error) {
      throw locateModelError(model.origin, error);
    }
    options.checkColumns(columns.map((c) => c.name));
    const problem = cursorTypeProblem(this.#sync, source.capabilities, columns);
    if (problem !== null) throw problemError(problem);
    if (this.#since === null) return undefined;
    const type = columns.find((c) => c.name === column)?.type;
    // A condition, not a refusal: cursorTypeProblem asked the same engine about the same type.
    const condition = source.capabilities.cursorCondition(
      modelColumnSql(source.capabilities, column),
      type,
      this.#since,
    ) as CursorCondition;
    const orNull = `${modelColumnSql(source.capabilities, column)} is null`;
    return { sql: `(${condition.sql} or ${orNull})`, params: [condition.param] };
  }

  /** Notes a batch's cursor values; a value that is no timestamp or date fails the run before it is sent. */
  see(rows: readonly Row[]): void {
    const { column } = this.#cursor;
    let latest = this.#latestMs;
    for (const row of rows) {
      const value = row[column];
      if (value === null || value === undefined) continue;
      const ms = typeof value === 'string' ? instantOf(value) : Number.NaN;
      if (Number.isNaN(ms)) {
        throw problemError({
          file: this.#sync.file,
          line: this.#cursor.line,
          message: `sync "${this.#sync.name}": the cursor: column "${column}" holds ${JSON.stringify(value)}, not a timestamp or date`,
          fix: 'name a timestamp or date column, or cast it in the model (… AS TIMESTAMP)',
        });
      }
      if (ms > latest) latest = ms;
    }
    this.#latestMs = latest;
  }

  /**
   * After a real run that completed with no failed row: keeps the latest cursor it read as the mark
   * (see the class's rules). Answers the mark kept, or null when it stays where it was.
   */
  async save(): Promise<string | null> {
    const latest = Math.min(this.#latestMs, this.#startedMs);
    if (latest === Number.NEGATIVE_INFINITY) return null;
    const mark = new Date(latest).toISOString();
    if (this.#before !== null && mark <= this.#before.mark) return null;
    await this.#state.ledger.saveCursorMark(this.#sync.name, { column: this.#cursor.column, mark });
    return mark;
  }
}

/**
 * The problem of a sync's cursor whose column holds no timestamps or dates, given the model's
 * columns with their types (a run's probe, `sluice check`'s); null when it can order rows, when the
 * sync has no cursor, or when the model lacks the column (column-problems.ts says so).
 */
export function cursorTypeProblem(
  sync: SyncConfig,
  capabilities: SourceCapabilities,
  columns: readonly SourceColumn[],
): ConfigProblem | null {
  const cursor = sync.cursor;
  const found = cursor === undefined ? undefined : columns.find((c) => c.name === cursor.column);
  if (cursor === undefined || found === undefined) return null;
  // Any instant does: only whether the engine can compare the column is asked.
  const answer = capabilities.cursorCondition(
    modelColumnSql(capabilities, cursor.column),
    found.type,
    new Date(0).toISOString(),
  );
  if (typeof answer !== 'string') return null;
  return {
    file: sync.file,
    line: cursor.line,
    message: `sync "${sync.name}": the cursor: column "${cursor.column}" cannot order events: ${answer}`,
    fix: 'name a timestamp or date column the rows are appended by, e.g. occurred_at',
  };
}

/** A run stopped by a problem in the workspace (exit 2). */
function problemError(problem: ConfigProblem): SluiceError {
  return new SluiceError('config_invalid', formatProblems([problem]), { problems: [problem] });
}

/**
 * A timestamp or date as Sluice reads it (core/values.ts) in milliseconds; an instant in an expanded
 * year beyond what a Date holds is past either end. NaN for anything else.
 */
function instantOf(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isNaN(ms) || !/^[+-]\d{6}-\d\d-\d\d/u.test(text)) return ms;
  return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}
