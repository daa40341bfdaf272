import type { ModelConfig } from '../core/workspace.js';
import type { Source } from '../sources/source.js';
import type { KeyState, StateStore } from '../state/state-store.js';
import { extractKeys } from './extract.js';
import type { RowMapper } from './map.js';

/** Rows per batch when the model's keys are read again (keys only: small rows). */
const KEYS_BATCH = 10_000;

/**
 * Removed keys (SPEC §3): keys delivered before and absent from the model now, reported once.
 *
 * Most runs remove nothing, and a pass over every key of the sync to prove it would cost as much as
 * the lookups themselves (measured: about 0.6 s a million keys, plus noting each key). So a run
 * first counts: when it starts, how many keys have state (and how many of those are flagged
 * removed); as it goes, how many of those its lookups found. If every key with state was found,
 * nothing is absent and nothing more is read. Only otherwise — a key is gone, or the counts cannot
 * tell (a backfill: false baseline looks nothing up) — are the model's keys read again, noted in the
 * state store, and the sync's delivered keys anti-joined against them.
 */
export class RemovedKeys {
  readonly #state: StateStore;
  readonly #sync: string;
  readonly #census: { keys: number; removed: number };
  /** Keys with state at the start that this run's model returned. */
  #found = 0;
  /** Of those, the ones flagged removed by an earlier run: back now. */
  readonly #back: string[] = [];
  /** False once a batch went unlooked-up: then the counts cannot tell. */
  #countable = true;
  /** The last key of an invalid row asked about: a duplicate key's rows are adjacent, ask once. */
  #lastInvalidKey: string | null = null;

  private constructor(state: StateStore, sync: string, census: { keys: number; removed: number }) {
    this.#state = state;
    this.#sync = sync;
    this.#census = census;
  }

  /** Before the run writes anything, with the sync's key counts then (`ledger.countKeys`). */
  static start(state: StateStore, sync: string, counts: { keys: number; removed: number }): RemovedKeys {
    return new RemovedKeys(state, sync, counts);
  }

  /** What a batch's lookup found: how many keys were unchanged (never flagged), the states of the others. */
  found(unchanged: number, states: ReadonlyMap<string, KeyState>): void {
    this.#found += unchanged + states.size;
    for (const state of states.values()) if (state.removed) this.#back.push(state.key);
  }

  /** A batch whose keys were not looked up: the counts can no longer tell. */
  notLookedUp(): void {
    this.#countable = false;
  }

  /** Keys of rows that were invalid before any lookup (duplicates): present all the same. */
  async invalid(keys: readonly string[]): Promise<void> {
    const asked: string[] = [];
    for (const key of keys) {
      if (key === this.#lastInvalidKey) continue;
      this.#lastInvalidKey = key;
      asked.push(key);
    }
    if (asked.length === 0 || !this.#countable) return;
    this.found(0, await this.#state.ledger.keyStates(this.#sync, asked));
  }

  /**
   * After the run read its whole model: how many keys are removed. A real run records them and
   * clears the flags of keys that came back; a dry run (`record: false`) only counts.
   */
  async finish(options: {
    run: string;
    record: boolean;
    source: Source;
    modelSql: string;
    keyColumn: string;
    origin?: ModelConfig['origin'];
    mapper: RowMapper;
    signal?: AbortSignal;
  }): Promise<number> {
    const absent = this.#census.keys - this.#census.removed - (this.#found - this.#back.length);
    // A dry run holds no lock: a real run may add keys meanwhile, which would balance the counts.
    if (this.#countable && absent === 0 && options.record) {
      if (options.record) await this.#state.ledger.clearRemoved(this.#sync, this.#back);
      return 0;
    }
    try {
      for await (const keys of modelKeys(options))
        await this.#state.ledger.notePresentKeys(options.run, keys);
      return await this.#state.ledger.sweepRemoved(this.#sync, options.run, { record: options.record });
    } catch (error) {
      await this.#state.ledger.forgetPresentKeys(options.run).catch(() => {});
      throw error;
    }
  }
}

/** The model's keys as the run renders them, read again without the rest of each row. */
async function* modelKeys(options: {
  source: Source;
  modelSql: string;
  keyColumn: string;
  origin?: ModelConfig['origin'];
  mapper: RowMapper;
  signal?: AbortSignal;
}): AsyncIterable<string[]> {
  const { mapper } = options;
  for await (const rows of extractKeys(options.source, options.modelSql, options.keyColumn, {
    batchSize: KEYS_BATCH,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.origin ? { origin: options.origin } : {}),
  })) {
    const keys: string[] = [];
    for (const row of rows) {
      const keyed = mapper.keyOf(row);
      if (keyed.key !== null) keys.push(keyed.key);
    }
    yield keys;
  }
}
