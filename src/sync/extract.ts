import { isSluiceError, SluiceError } from '../core/errors.js';
import type { Row, Value } from '../core/values.js';
import type { ModelConfig } from '../core/workspace.js';
import {
  isTemporaryTableUnavailable,
  type ModelLines,
  type Source,
  type SourceCapabilities,
  type SourceColumn,
  type StreamOptions,
  type TemporaryTable,
} from '../sources/source.js';
import { locateModelError, modelBody, modelLinesIn, probeModel } from './model-sql.js';

/** The column the extract query adds: how many rows of the model share this row's key. */
export const KEY_COUNT_COLUMN = '__sluice_key_count';
/** The column the extract query adds where the engine can hash rows: the row's hash (text). */
export const ROW_HASH_COLUMN = '__sluice_row_hash';
/** The column the extract query adds: how many rows the whole result has (checked at its end). */
export const ROW_TOTAL_COLUMN = '__sluice_row_total';

/** A warehouse diff's column: the least key of the model's result. */
export const FIRST_KEY_COLUMN = '__sluice_first_key';
/** A warehouse diff's column: true on a row kept only to carry the counts (see {@link buildDiffExtract}). */
export const UNCHANGED_COLUMN = '__sluice_unchanged';
/** A warehouse diff's column: how many rows the diff's result has (checked at its end). */
export const RETURNED_TOTAL_COLUMN = '__sluice_returned_total';
/** A warehouse diff's column: how many of those are not unchanged. */
export const CHANGED_TOTAL_COLUMN = '__sluice_changed_total';

/** The columns the extract query adds to the model's, hidden from mappings. */
export const EXTRACT_COLUMNS: ReadonlySet<string> = new Set([
  KEY_COUNT_COLUMN,
  ROW_HASH_COLUMN,
  ROW_TOTAL_COLUMN,
  FIRST_KEY_COLUMN,
  UNCHANGED_COLUMN,
  RETURNED_TOTAL_COLUMN,
  CHANGED_TOTAL_COLUMN,
]);

/** The columns only a warehouse diff adds: dropped from its rows before anything reads them. */
const DIFF_COLUMNS = [FIRST_KEY_COLUMN, UNCHANGED_COLUMN, RETURNED_TOTAL_COLUMN, CHANGED_TOTAL_COLUMN];

/**
 * A diff in the warehouse (sync/warehouse-diff.ts): the sync's delivered fingerprints, loaded as a
 * temporary table on the extract's connection, leave out the rows they show unchanged.
 */
export interface WarehouseDiff {
  /** The table: columns `key` (the key's text) and `row_hash` (the row hash it was delivered from). */
  table: TemporaryTable;
  /**
   * Told once, before the first batch is yielded, how many of the model's rows the warehouse left
   * out as unchanged (they were read and counted there, never sent here).
   */
  onUnread(count: number): void;
}

/**
 * Wraps a model's SQL so the warehouse itself counts rows per key. Duplicate keys must be reported on
 * every row that shares them (as Census does), including rows streamed before the second copy shows
 * up — only a count over the whole result can say that without holding every key in memory: a
 * window on a server engine (PostgreSQL, MySQL 8 / MariaDB 10.2+, SQLite 3.25+), a keys-only
 * `group by` on DuckDB, which runs in our process (see {@link countedRows}).
 *
 * Where the engine can (SourceCapabilities.rowHashSql), it also hashes each row, so the sync can
 * tell an unchanged row without serialising it in JS (the row fingerprint, sync/map.ts). Every
 * reference to the model's row is qualified by the alias (`m.*`, `m."id"`, and `rowHashSql` takes
 * the alias to qualify its own), which SQL resolves to the table before any column: a model column
 * named `m` (or anything else) cannot stand in for the row. A model column named like one of the
 * columns added here (EXTRACT_COLUMNS) is an error naming it (extractRows).
 *
 * It also counts the whole result, so a stream that ends early without an error (DuckDB 1.5 can,
 * when it runs out of memory mid-stream: src/sources/README.md) fails the run instead of completing
 * it with rows missing.
 *
 * From a server engine rows come out in key order: the state store looks up and writes key states
 * in batches, and keys that arrive in order touch neighbouring pages of its index instead of pages
 * all over it (the window has already sorted or partitioned by key, so the order costs the
 * warehouse little). DuckDB's rows come in the model's own order: sorting would hold the model in
 * our memory, where a server sorts on its own.
 */
export function buildExtractSql(
  modelSql: string,
  keyColumn: string,
  capabilities: SourceCapabilities,
  filter?: RowFilter,
  columns?: readonly SourceColumn[],
): string {
  return buildExtract(modelSql, keyColumn, capabilities, filter, columns).sql;
}

/**
 * A condition on the model's rows (an event cursor's window, sync/event-cursor.ts), applied before
 * the windows count: keys are counted and duplicates found among the rows it keeps, and the total is
 * theirs. It names the model's columns as {@link modelColumnSql} writes them.
 */
export interface RowFilter {
  sql: string;
  params: readonly string[];
}

/** A column of the model's row as the extract query names it (quoted, qualified by its alias). */
export function modelColumnSql(capabilities: SourceCapabilities, column: string): string {
  return `${capabilities.quoteIdentifier('m')}.${capabilities.quoteIdentifier(column)}`;
}

/**
 * The model's rows with the extract's columns — the rows sharing each one's key
 * ({@link KEY_COUNT_COLUMN}), the whole result's count ({@link ROW_TOTAL_COLUMN}), the row hash where
 * the engine has one, and `extra` (`name` → expression of the whole result, like the least key) —
 * as the SQL before and after the model's body. The model's row is `m` (see modelColumnSql).
 *
 * A server engine counts with windows, which it computes on its side, spilling as it is set up to.
 * An engine in Sluice's own process (SourceCapabilities.inProcess: DuckDB) would hold the whole
 * model in memory for them: there the duplicates come from a keys-only `group by … having
 * count(*) > 1` joined back to the rows (a hash table of the keys, its build side only the
 * duplicated ones), and each count of the whole result from a subquery computed once before the
 * first row, so the rows themselves stream. The model then runs more than once (the CTE is not
 * materialized, or it would be held); over a table, the extra runs read the key column only.
 * `uniqueKeys` (the warehouse has counted no repeated key: keysAreUnique) leaves the duplicate
 * check out, every row's count being 1.
 */
function countedRows(
  modelSql: string,
  keyColumn: string,
  capabilities: SourceCapabilities,
  filter: RowFilter | undefined,
  columns: readonly SourceColumn[] | undefined,
  extra: { name: string; of: (key: string) => { window: string; subquery: string } }[] = [],
  uniqueKeys = false,
): { prefix: string; body: string; suffix: string } {
  const quote = (name: string) => capabilities.quoteIdentifier(name);
  const body = modelBody(modelSql);
  const alias = quote('m');
  const key = modelColumnSql(capabilities, keyColumn);
  const rowHash = capabilities.rowHashSql
    ? `, ${capabilities.rowHashSql(alias, columns)} as ${quote(ROW_HASH_COLUMN)}`
    : '';
  const where = filter === undefined ? '' : `\nwhere ${filter.sql}`;
  const partition = capabilities.keyPartitionSql?.(key) ?? key;
  if (!capabilities.inProcess) {
    const extras = extra.map((e) => `, ${e.of(key).window} as ${quote(e.name)}`).join('');
    return {
      prefix: `select ${alias}.*, count(*) over (partition by ${partition}) as ${quote(KEY_COUNT_COLUMN)}, count(*) over () as ${quote(ROW_TOTAL_COLUMN)}${rowHash}${extras}\nfrom (\n`,
      body,
      suffix: `\n) ${alias}${where}`,
    };
  }
  const duplicates = quote('sluice_duplicates');
  const extras = extra.map((e) => `, ${e.of(key).subquery} as ${quote(e.name)}`).join('');
  if (uniqueKeys) {
    return {
      prefix: `with ${alias} as not materialized (select * from (\n`,
      body,
      suffix:
        `\n) ${alias}${where})\n` +
        `select ${alias}.*, 1::bigint as ${quote(KEY_COUNT_COLUMN)}, (select count(*) from ${alias}) as ${quote(ROW_TOTAL_COLUMN)}${rowHash}${extras}\n` +
        `from ${alias}`,
    };
  }
  return {
    prefix: `with ${alias} as not materialized (select * from (\n`,
    body,
    suffix:
      `\n) ${alias}${where})\n` +
      `select ${alias}.*, coalesce(${duplicates}.n, 1) as ${quote(KEY_COUNT_COLUMN)}, (select count(*) from ${alias}) as ${quote(ROW_TOTAL_COLUMN)}${rowHash}${extras}\n` +
      `from ${alias} left join (select ${partition} as k, count(*) as n from ${alias} group by ${partition} having count(*) > 1) ${duplicates} on ${duplicates}.k = ${partition}`,
  };
}

/**
 * The extract query, and where the model's own lines sit in it (for errors placed on a line). A
 * server engine returns rows in key order (see {@link buildExtractSql}); an engine in Sluice's
 * process in the order it streams them, since a sort would hold the model (DuckDB streams a table
 * largely in the order it was written, which for tables keyed by a sequence is near key order).
 */
function buildExtract(
  modelSql: string,
  keyColumn: string,
  capabilities: SourceCapabilities,
  filter: RowFilter | undefined,
  columns: readonly SourceColumn[] | undefined,
): { sql: string; modelLines: ModelLines } {
  const { prefix, body, suffix } = countedRows(modelSql, keyColumn, capabilities, filter, columns);
  const order = capabilities.inProcess ? '' : `\norder by ${modelColumnSql(capabilities, keyColumn)}`;
  return { sql: `${prefix}${body}${suffix}${order}`, modelLines: modelLinesIn(prefix, body) };
}

/**
 * The extract query of a warehouse diff: the model's rows as {@link countedRows} reads them (keys
 * counted, the whole result counted, rows hashed, and the least key found), joined to the delivered
 * fingerprints on the key's text and row hash. It returns only rows with no matching fingerprint
 * (new keys, changed rows, keys with a pending change or flagged removed: those have none, see
 * DeliveryLedger.deliveredFingerprints) and every row of a duplicated or null key, which the sync
 * reports invalid as it would without the diff. The key's text is the engine's
 * (`capabilities.keyTextSql`, a cast to text): where it differs from Sluice's own text of the key
 * (keyToString, e.g. a DOUBLE, a NUMERIC with trailing zeros) nothing matches and the row comes
 * through to be diffed in the state store, as without this diff — slower, never wrong. A match
 * needs the row hash too, and an equal hash means the row is the one delivered, key and all. The
 * table is named as the engine names temporary tables (`capabilities.temporaryTableSql`).
 * The row hash is the one the sync's fingerprint is made of (sync/map.ts: salt, then this hash);
 * the state store kept only fingerprints of the run's salt, without it (warehouse-diff.ts).
 *
 * A run that changed nothing would get no row, and with it no count of the rows it left out: so
 * the rows of the least key always come through, the one of them flagged {@link UNCHANGED_COLUMN}
 * when it is unchanged (extractRows drops it). The least key, not a row number: `min(key) over ()`
 * shares the window that counts the whole result, where `row_number()` cost DuckDB a window of its
 * own (measured ≈ 1 s more per 1M rows at memory_limit 128MB); of the key's text where the engine
 * has no `min` for some key types (`capabilities.leastKeySql`: PostgreSQL has none for uuid or
 * boolean). A model whose keys are all null
 * returns every row anyway. The counts of the diff's own result ({@link RETURNED_TOTAL_COLUMN},
 * {@link CHANGED_TOTAL_COLUMN}) make the rows left out `total − changed`, and check that the
 * stream did not end early: they are windows over the rows returned only, which a run that changed
 * little keeps few of.
 */
function buildDiffExtract(
  modelSql: string,
  keyColumn: string,
  capabilities: SourceCapabilities,
  table: TemporaryTable,
  filter: RowFilter | undefined,
  columns: readonly SourceColumn[] | undefined,
  uniqueKeys = false,
): { sql: string; modelLines: ModelLines } {
  const { temporaryTableSql, keyTextSql } = capabilities;
  if (capabilities.rowHashSql === undefined || temporaryTableSql === undefined || keyTextSql === undefined) {
    throw new Error('a warehouse diff needs an engine that hashes rows and names temporary tables');
  }
  const leastKeySql = capabilities.leastKeySql ?? ((column: string) => column);
  const quote = (name: string) => capabilities.quoteIdentifier(name);
  const diffed = quote('d');
  const fingerprints = quote('f');
  const counted = countedRows(
    modelSql,
    keyColumn,
    capabilities,
    filter,
    columns,
    [
      {
        name: FIRST_KEY_COLUMN,
        of: (key) => ({
          window: `min(${leastKeySql(key)}) over ()`,
          subquery: `(select min(${leastKeySql(key)}) from ${quote('m')})`,
        }),
      },
    ],
    uniqueKeys,
  );
  const keyCount = `${diffed}.${quote(KEY_COUNT_COLUMN)}`;
  const unchanged = `(${fingerprints}.key is not null and ${keyCount} = 1)`;
  const prefix =
    `select ${diffed}.*, ${unchanged} as ${quote(UNCHANGED_COLUMN)}, count(*) over () as ${quote(RETURNED_TOTAL_COLUMN)}, ` +
    `sum(case when ${unchanged} then 0 else 1 end) over () as ${quote(CHANGED_TOTAL_COLUMN)}\nfrom (\n${counted.prefix}`;
  const diffedKey = `${diffed}.${quote(keyColumn)}`;
  const order = capabilities.inProcess ? '' : `\norder by ${diffedKey}`;
  const join =
    `\n) ${diffed} left join ${temporaryTableSql(table.name)} ${fingerprints}` +
    ` on ${fingerprints}.key = ${keyTextSql(diffedKey)} and ${fingerprints}.row_hash = ${diffed}.${quote(ROW_HASH_COLUMN)}` +
    `\nwhere ${fingerprints}.key is null or ${keyCount} > 1 or ${leastKeySql(diffedKey)} = ${diffed}.${quote(FIRST_KEY_COLUMN)}` +
    order;
  return {
    sql: `${prefix}${counted.body}${counted.suffix}${join}`,
    modelLines: modelLinesIn(prefix, counted.body),
  };
}

/**
 * A model column named like one of the extract query's own columns would shadow it or be shadowed by
 * it (a wrong key count, another row's hash): the model must rename it.
 */
function reservedColumnError(column: string, cause?: unknown): SluiceError {
  return new SluiceError(
    'source_error',
    `the model returns a column named "${column}", a name Sluice gives a column of its own in the query that reads the model — rename it in the model's SQL (… AS another_name)`,
    { cause, details: { column } },
  );
}

/** Options of {@link extractRows}. */
export interface ExtractOptions {
  batchSize: number;
  signal?: AbortSignal;
  /** Where the model was written: an SQL error in it names the user's file and line. */
  origin?: ModelConfig['origin'];
  /**
   * Called once with the model's columns before any row is yielded (also when there are none), to
   * fail the run up front when the sync reads a column the model lacks. When the extract query
   * fails before it has columns (a key column the model lacks does that), the model's columns are
   * probed without reading rows and passed here first, so the user hears about the column rather
   * than an error in a query they never wrote.
   */
  checkColumns?: (columns: readonly string[]) => void;
  /** Reads only the rows this keeps (an event cursor's window); all rows when absent. */
  filter?: RowFilter;
  /** Reads only rows that may have changed; needs a source with `streamWithTable` and `rowHashSql`. */
  diff?: WarehouseDiff;
}

/**
 * Streams the model's rows in batches, and fails with `source_error` if the result ends before the
 * number of rows the warehouse counted for it.
 */
export async function* extractRows(
  source: Source,
  modelSql: string,
  keyColumn: string,
  options: ExtractOptions,
): AsyncIterable<Row[]> {
  const diff = options.diff;
  let expected: number | null = null;
  let received = 0;
  let columns: string[] | undefined;
  let checked = false;
  const check = (): void => {
    if (checked || columns === undefined) return;
    checked = true;
    options.checkColumns?.(columns);
  };
  try {
    // The diff's query names the extract's columns through a subquery, where a model column of the
    // same name would be renamed or taken for Sluice's own instead of failing as a duplicate (as the
    // plain extract's does); and an engine in our process picks its row hash by the columns' types
    // (duckdb-row-hash.ts). Both ask the model's columns first, without reading a row.
    let probed: SourceColumn[] | undefined;
    if (diff !== undefined || source.capabilities.inProcess) {
      probed = await probeModel(source, modelSql, options.signal);
      const reserved = probed.find((column) => EXTRACT_COLUMNS.has(column.name));
      if (reserved !== undefined) throw reservedColumnError(reserved.name);
    }
    const { sql: plainSql, modelLines } =
      diff === undefined
        ? buildExtract(modelSql, keyColumn, source.capabilities, options.filter, probed)
        : buildDiffExtract(modelSql, keyColumn, source.capabilities, diff.table, options.filter, probed);
    let sql: string | Promise<string> = plainSql;
    if (diff !== undefined && source.capabilities.inProcess) {
      // While the fingerprints load, DuckDB checks whether any key repeats; where none does (most
      // models), the diff's query leaves out the keys-only duplicate check (≈ 2 s of 10M keys).
      sql = keysAreUnique(source, modelSql, keyColumn, options).then((unique) =>
        unique
          ? buildDiffExtract(
              modelSql,
              keyColumn,
              source.capabilities,
              diff.table,
              options.filter,
              probed,
              true,
            ).sql
          : plainSql,
      );
      sql.catch(() => undefined); // awaited by the source once the table is loaded
    }
    const streamOptions: StreamOptions = {
      batchSize: options.batchSize,
      modelLines,
      ...(options.filter === undefined ? {} : { params: options.filter.params }),
      onColumns: (found) => {
        columns = found.map((c) => c.name).filter((name) => !EXTRACT_COLUMNS.has(name));
      },
      ...(options.signal ? { signal: options.signal } : {}),
    };
    let stream: AsyncIterable<Row[]>;
    if (diff === undefined) stream = source.stream(plainSql, streamOptions);
    else if (source.streamWithTable === undefined) throw new Error('a warehouse diff needs streamWithTable');
    else stream = source.streamWithTable(diff.table, sql, streamOptions);
    for await (const rows of stream) {
      check();
      if (expected === null && rows.length > 0) {
        const first = rows[0]!;
        // Where the engine does not hash rows, a model column of the hash's name would pass for it.
        if (source.capabilities.rowHashSql === undefined && Object.hasOwn(first, ROW_HASH_COLUMN)) {
          throw reservedColumnError(ROW_HASH_COLUMN);
        }
        // A number from every engine, or a digit string from one that widens counts; Number() reads both.
        if (diff === undefined) expected = Number(first[ROW_TOTAL_COLUMN]);
        else {
          expected = Number(first[RETURNED_TOTAL_COLUMN]);
          diff.onUnread(Number(first[ROW_TOTAL_COLUMN]) - Number(first[CHANGED_TOTAL_COLUMN]));
        }
      }
      received += rows.length;
      yield diff === undefined ? rows : diffedRows(rows);
    }
    check();
  } catch (error) {
    // The source refused the diff's table: the detector reads the plain extract instead (detect-changes.ts).
    if (isTemporaryTableUnavailable(error)) throw error;
    const column = error instanceof SluiceError ? error.details.duplicateColumn : undefined;
    if (typeof column === 'string' && EXTRACT_COLUMNS.has(column)) throw reservedColumnError(column, error);
    if (!checked && options.checkColumns && isSluiceError(error) && error.code === 'source_error') {
      const probed = await probeModel(source, modelSql, options.signal).catch(() => undefined);
      if (probed !== undefined) options.checkColumns(probed.map((c) => c.name));
    }
    throw options.origin === undefined ? error : locateModelError(options.origin, error);
  }
  if (options.signal?.aborted) return;
  if (expected !== null && received !== expected) {
    throw new SluiceError(
      'source_error',
      `the warehouse ended the result after ${received} of its ${expected} rows without an error (for DuckDB this happens when it runs out of memory mid-stream: raise memory_limit or lower threads in sluice.yaml); nothing after them was synced`,
    );
  }
}

/**
 * Whether no two rows of the model (within the filter) share a non-null key, by the warehouse's
 * own count (`count(key) = count(distinct key)`, which reads the key column only). A check that
 * fails says false: the extract then counts duplicates itself, and the model's own error, if it
 * has one, comes from the extract query, placed on its lines.
 */
async function keysAreUnique(
  source: Source,
  modelSql: string,
  keyColumn: string,
  options: ExtractOptions,
): Promise<boolean> {
  const quote = (name: string) => source.capabilities.quoteIdentifier(name);
  const key = modelColumnSql(source.capabilities, keyColumn);
  const body = modelBody(modelSql);
  const where = options.filter === undefined ? '' : `\nwhere ${options.filter.sql}`;
  const prefix = `select count(${key}) = count(distinct ${key}) as ${quote('unique_keys')}\nfrom (\n`;
  try {
    for await (const rows of source.stream(`${prefix}${body}\n) ${quote('m')}${where}`, {
      batchSize: 1,
      modelLines: modelLinesIn(prefix, body),
      ...(options.filter === undefined ? {} : { params: options.filter.params }),
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      return rows[0]?.unique_keys === true;
    }
  } catch {
    // Said by the extract query, if it matters.
  }
  return false;
}

/**
 * A warehouse diff's batch as the sync reads it: without the row kept only for the counts, and with
 * the diff's own columns hidden the way keyOf hides the extract's (set undefined, not deleted: see
 * map.ts). It may be empty: that batch still tells the detector the rows left out.
 */
function diffedRows(rows: Row[]): Row[] {
  const kept: Row[] = [];
  for (const row of rows) {
    const unchanged = row[UNCHANGED_COLUMN] === true;
    const hidden = row as Record<string, Value | undefined>;
    for (const column of DIFF_COLUMNS) hidden[column] = undefined;
    if (!unchanged) kept.push(row);
  }
  return kept;
}

/**
 * Streams only the model's key column (for finding removed keys, sync/removed-keys.ts), with the
 * same guards as `extractRows`: the warehouse counts the result and a stream that ends before that
 * count fails instead of passing for a model that lacks the keys after it; SQL errors are placed on
 * the model's own lines.
 */
export async function* extractKeys(
  source: Source,
  modelSql: string,
  keyColumn: string,
  options: { batchSize: number; signal?: AbortSignal; origin?: ModelConfig['origin'] },
): AsyncIterable<Row[]> {
  const quote = (name: string) => source.capabilities.quoteIdentifier(name);
  const body = modelBody(modelSql);
  const alias = quote('m');
  const prefix = `select ${alias}.${quote(keyColumn)}, count(*) over () as ${quote(ROW_TOTAL_COLUMN)}\nfrom (\n`;
  const sql = `${prefix}${body}\n) ${alias}`;
  let expected: number | null = null;
  let received = 0;
  try {
    for await (const rows of source.stream(sql, {
      batchSize: options.batchSize,
      modelLines: modelLinesIn(prefix, body),
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      if (expected === null && rows.length > 0) expected = Number(rows[0]![ROW_TOTAL_COLUMN]);
      received += rows.length;
      yield rows;
    }
  } catch (error) {
    throw options.origin === undefined ? error : locateModelError(options.origin, error);
  }
  if (options.signal?.aborted) return;
  if (expected !== null && received !== expected) {
    throw new SluiceError(
      'source_error',
      `the warehouse ended the model's keys after ${received} of its ${expected} rows without an error; removed keys were not counted`,
    );
  }
}

/**
 * Keeps the next batch coming while the current one is worked on: the source's next chunk is
 * fetched and converted while this batch waits on the state store's lookup (another thread). One
 * batch ahead, no more, so memory stays bounded.
 */
export async function* readAhead<T>(batches: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = batches[Symbol.asyncIterator]();
  let next = iterator.next();
  let finished = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        finished = true;
        return;
      }
      next = iterator.next();
      next.catch(() => {}); // observed when awaited above, or dropped when the caller stops early
      yield result.value;
    }
  } finally {
    // The caller stopped early (a break, an error): let the read in progress settle, then close.
    if (!finished) {
      await next.catch(() => {});
      await iterator.return?.();
    }
  }
}
