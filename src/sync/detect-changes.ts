import { SluiceError } from '../core/errors.js';
import { rowsOf } from '../core/text-columns.js';
import type { Row } from '../core/values.js';
import type { SyncConfig } from '../core/workspace.js';
import type { ObjectDescriptor } from '../destinations/destination.js';
import { isTemporaryTableUnavailable, type Source, type TemporaryTable } from '../sources/source.js';
import type { KeyState, StateStore } from '../state/state-store.js';
import { extractRows } from './extract.js';
import type { KeyedBatch } from './key-batch.js';
import type { InvalidRow } from './map.js';
import { RemovedKeys } from './removed-keys.js';
import { canDiffInWarehouse, fingerprintsTable } from './warehouse-diff.js';

/** How a run finds what changed; one detector each, chosen once per run by {@link chooseStrategy}. */
export type DetectionStrategy = 'baseline' | 'first-run' | 'full-resync' | 'state-lookup' | 'warehouse-diff';

/** What a detector found for one batch: what planBatch decides from. */
export interface Detection {
  /** Keys of the batch unchanged by their fingerprints: counted, not mapped. */
  unchanged: ReadonlySet<string>;
  /**
   * The key states of the other keys (keys never seen are absent). Null for a baseline: the rows
   * are remembered as delivered, not sent.
   */
  states: ReadonlyMap<string, KeyState> | null;
  /**
   * Rows unchanged by their fingerprints that never reached the batch: the warehouse read and
   * compared them and left them out (`warehouse-diff`). Counted unchanged with this batch.
   */
  unread?: number;
}

/**
 * One way of finding changes. `extract` reads the model in batches and `detect` tells, per batch,
 * what is unchanged and what the state store knows of the rest; the detector also keeps the
 * removed-keys accounting (removed-keys.ts), since only it knows what its lookups saw. Every
 * detector but `warehouse-diff` reads every row; that one gives its own `extract` (a query returning
 * only rows that may have changed, extract.ts buildDiffExtract) and tells `detect` how many rows it
 * left out.
 */
export interface ChangeDetector {
  readonly strategy: DetectionStrategy;
  /** Reads the rows to plan, in key order (extract.ts extractRows). */
  readonly extract: typeof extractRows;
  /** Starts finding a keyed batch's changes; the state store answers on its own thread. */
  detect(batch: KeyedBatch): Promise<Detection>;
}

/** What decides the strategy of a run. */
export interface DetectionFacts {
  behaviour: ObjectDescriptor['behaviour'];
  /** The sync's `backfill:` setting. */
  backfill: boolean;
  /** Whether the sync has a completed run. */
  completedRun: boolean;
  /** How many keys of the sync have state (`ledger.countKeys`). */
  keysWithState: number;
  /** --full-resync. */
  fullResync: boolean;
  /**
   * Whether the run may diff in the warehouse: its source can (warehouse-diff.ts), the sync has no
   * `cursor` (its window is read whole, and its mark is taken from every row read) and does not
   * say `diff: state`.
   */
  warehouseDiff: boolean;
}

/**
 * - `baseline`: backfill: false — until the sync has completed a run, rows are remembered, not sent.
 *   Key state alone would not tell: a first run that died half-way through remembering the baseline
 *   would make the next run send the other half.
 * - `first-run`: a sync with no key state at all has nothing to look up: every key is new, and no
 *   other run can add state meanwhile (one run of a sync at a time). Skipping the lookups keeps the
 *   state store's thread free for recording deliveries.
 * - `full-resync`: every row is sent, so nothing is unchanged by fingerprint; key states still give
 *   generations and pending changes.
 * - `warehouse-diff`: the sync's delivered fingerprints are loaded beside the extract query, which
 *   returns only the rows whose fingerprint is not among them (and every row of a null or
 *   duplicated key); those go through `state-lookup`'s lookup, the rest are counted unchanged
 *   without crossing into JavaScript. Same answers as `state-lookup`, for the rows it returns and
 *   the count of those it does not.
 * - `state-lookup`: the state store's one indexed join per batch (`ledger.lookup`).
 */
export function chooseStrategy(facts: DetectionFacts): DetectionStrategy {
  if (facts.behaviour === 'send-once' && !facts.backfill && !facts.completedRun) return 'baseline';
  if (facts.keysWithState === 0) return 'first-run';
  if (facts.fullResync) return 'full-resync';
  return facts.warehouseDiff ? 'warehouse-diff' : 'state-lookup';
}

/** What a run needs to diff in the warehouse: its source, and the salt of its fingerprints (RowMapper.salt). */
export interface WarehouseSide {
  source: Source;
  salt: string;
  /**
   * Told, as one line, that the source's connection refused the temporary table (a PostgreSQL
   * user without the TEMP privilege, a read replica) and the run diffs in the state store instead.
   */
  onWarning?: (message: string) => void;
}

/**
 * The run's detector, and its removed-keys accounting: keys delivered before that this run's model
 * lacks (SPEC §3), counted from what the lookups find. A first run has nothing delivered before
 * (null), and an event sync with a `cursor` reads only its window (event-cursor.ts): keys outside it
 * are not read, not removed (null).
 */
export async function detectorFor(
  state: StateStore,
  sync: SyncConfig,
  behaviour: ObjectDescriptor['behaviour'],
  fullResync: boolean,
  warehouse?: WarehouseSide,
): Promise<{ detector: ChangeDetector; removed: RemovedKeys | null }> {
  const completedRun = (await state.runs.lastCompleted(sync.name)) !== null;
  const census = await state.ledger.countKeys(sync.name);
  const removed =
    census.keys === 0 || sync.cursor !== undefined ? null : RemovedKeys.start(state, sync.name, census);
  const able = warehouse !== undefined && canDiffInWarehouse(warehouse.source);
  if (warehouse !== undefined && !able && sync.diff === 'warehouse') {
    throw new SluiceError(
      'config_invalid',
      `sync "${sync.name}" says diff: warehouse, and its model's source (${warehouse.source.type}) cannot diff in the warehouse — remove diff: or write diff: state`,
    );
  }
  const strategy = chooseStrategy({
    behaviour,
    backfill: sync.backfill,
    completedRun,
    keysWithState: census.keys,
    fullResync,
    warehouseDiff: able && sync.diff !== 'state' && sync.cursor === undefined,
  });
  const side = warehouse === undefined ? undefined : { ...warehouse, required: sync.diff === 'warehouse' };
  return { detector: createDetector(strategy, state, sync.name, removed, side), removed };
}

/**
 * The detector of a strategy (see {@link chooseStrategy}); `warehouse-diff` needs `warehouse`, whose
 * `required` (the sync says `diff: warehouse`) makes a source that refuses the temporary table fail
 * the run instead of falling back.
 */
export function createDetector(
  strategy: DetectionStrategy,
  state: StateStore,
  sync: string,
  removed: RemovedKeys | null,
  warehouse?: WarehouseSide & { required?: boolean },
): ChangeDetector {
  if (strategy === 'warehouse-diff') {
    if (warehouse === undefined) throw new Error('a warehouse-diff detector needs the warehouse side');
    return warehouseDetector(state, sync, removed, warehouse);
  }
  const detect = DETECTORS[strategy];
  return {
    strategy,
    extract: extractRows,
    async detect(batch) {
      await invalidKeys(removed, batch);
      return detect(state, sync, batch, removed);
    },
  };
}

/** A duplicate key's rows are all invalid, and its key is in the model all the same. */
async function invalidKeys(removed: RemovedKeys | null, batch: KeyedBatch): Promise<void> {
  if (removed !== null && batch.invalid.length > 0) await removed.invalid(keysOf(batch.invalid));
}

/**
 * `warehouse-diff`: the extract leaves out rows found unchanged in the warehouse and says how many
 * (before its first batch); the rows it returns are looked up as `state-lookup` does, and the rows
 * left out count as found unchanged for the removed keys too — each is a distinct key with state,
 * not flagged removed (DeliveryLedger.deliveredFingerprints).
 *
 * A source whose connection refuses the temporary table (Source.streamWithTable) says so before any
 * row: the run then reads every row with the plain extract, which leaves nothing out, and `detect`
 * is `state-lookup`'s exactly (nothing unread) — unless the sync says `diff: warehouse`, which
 * fails the run with the source's words and fix.
 */
function warehouseDetector(
  state: StateStore,
  sync: string,
  removed: RemovedKeys | null,
  warehouse: WarehouseSide & { required?: boolean },
): ChangeDetector {
  let unread = 0;
  const extract: typeof extractRows = (source, modelSql, keyColumn, options) =>
    unlessNothingToMatch(
      fingerprintsTable(state, sync, warehouse.salt),
      warehouse.required === true,
      () => extractRows(source, modelSql, keyColumn, options),
      (table) =>
        orStateLookup(
          extractRows(source, modelSql, keyColumn, {
            ...options,
            diff: {
              table,
              onUnread: (count) => {
                unread += count;
              },
            },
          }),
          () => extractRows(source, modelSql, keyColumn, options),
          (error) => {
            if (warehouse.required) {
              throw new SluiceError(
                'source_error',
                `sync "${sync}" says diff: warehouse, and ${error.message}`,
                {
                  cause: error,
                  details: { ...error.details },
                },
              );
            }
            warehouse.onWarning?.(
              `warning: sync "${sync}": ${error.message}. This run looked every row up in the state store instead (slower).`,
            );
          },
        ),
    );
  return {
    strategy: 'warehouse-diff',
    extract,
    async detect(batch) {
      const left = unread;
      unread = 0;
      await invalidKeys(removed, batch);
      const found = await state.ledger.lookup(sync, batch.keys, batch.sourceHashes);
      removed?.found(found.unchanged.size + left, found.states);
      return { ...found, unread: left };
    },
  };
}

/**
 * The plain extract when no delivered fingerprint carries this run's salt (after a mapping change,
 * or an upgrade of Sluice): the diff would leave nothing out, and the windows that count its result
 * would hold every row of it in the warehouse (in DuckDB, this process's memory). Otherwise the
 * diffed extract, over the same table — also when the sync says `diff: warehouse`, so a source
 * that cannot have the table fails that sync's every run, not only those with something to match.
 * The table's pages are read up to the first that holds a fingerprint (the first page, unless the
 * salt changed), which then leads the pages loaded.
 */
async function* unlessNothingToMatch(
  table: TemporaryTable,
  required: boolean,
  plain: () => AsyncIterable<Row[]>,
  diffed: (table: TemporaryTable) => AsyncIterable<Row[]>,
): AsyncGenerator<Row[]> {
  const pages = table.pages[Symbol.asyncIterator]();
  let first = await pages.next();
  while (!first.done && rowsOf(first.value) === 0) first = await pages.next();
  if (first.done && !required) {
    yield* plain();
    return;
  }
  const lead = first.done ? [] : [first.value];
  yield* diffed({
    ...table,
    pages: (async function* () {
      yield* lead;
      yield* { [Symbol.asyncIterator]: () => pages };
    })(),
  });
}

/**
 * The diffed extract's batches, or, when its source refused the temporary table before the first
 * batch, the plain extract's (after `refused` has had its say: it throws to fail the run).
 */
async function* orStateLookup(
  diffed: AsyncIterable<Row[]>,
  plain: () => AsyncIterable<Row[]>,
  refused: (error: SluiceError) => void,
): AsyncGenerator<Row[]> {
  const iterator = diffed[Symbol.asyncIterator]();
  let first: IteratorResult<Row[]>;
  try {
    first = await iterator.next();
  } catch (error) {
    if (!isTemporaryTableUnavailable(error)) throw error;
    refused(error);
    yield* plain();
    return;
  }
  if (first.done) return;
  yield first.value;
  yield* { [Symbol.asyncIterator]: () => iterator };
}

type Detect = (
  state: StateStore,
  sync: string,
  batch: KeyedBatch,
  removed: RemovedKeys | null,
) => Promise<Detection>;

const NOTHING_UNCHANGED: ReadonlySet<string> = new Set();
const NO_STATES: ReadonlyMap<string, KeyState> = new Map();
const BASELINE: Detection = { unchanged: NOTHING_UNCHANGED, states: null };
const ALL_NEW: Detection = { unchanged: NOTHING_UNCHANGED, states: NO_STATES };

const DETECTORS: Readonly<Record<Exclude<DetectionStrategy, 'warehouse-diff'>, Detect>> = {
  async baseline(_state, _sync, _batch, removed) {
    removed?.notLookedUp();
    return BASELINE;
  },
  async 'first-run'() {
    return ALL_NEW;
  },
  async 'full-resync'(state, sync, batch, removed) {
    const states = await state.ledger.keyStates(sync, batch.keys);
    removed?.found(0, states);
    return { unchanged: NOTHING_UNCHANGED, states };
  },
  async 'state-lookup'(state, sync, batch, removed) {
    const found = await state.ledger.lookup(sync, batch.keys, batch.sourceHashes);
    removed?.found(found.unchanged.size, found.states);
    return found;
  },
};

/** The keys of invalid rows that have one (a null key is in no state to be removed). */
function keysOf(invalid: readonly InvalidRow[]): string[] {
  const keys: string[] = [];
  for (const row of invalid) if (row.key !== null) keys.push(row.key);
  return keys;
}
