import type { Row } from '../core/values.js';
import type { InvalidRow, KeyedRow, RowMapper } from './map.js';

/** A source batch after its keys were checked: what the change detectors and planBatch work on. */
export interface KeyedBatch {
  /** Rows with a usable, unique key, in source order. */
  rows: KeyedRow[];
  /** `rows[i].key`, for the state store's lookups. */
  keys: string[];
  /** `rows[i]`'s fingerprint (RowMapper.fingerprint). */
  sourceHashes: string[];
  /** Rows without a usable key (null, blank, duplicate): never looked up, never sent. */
  invalid: InvalidRow[];
}

/** The first stage of a batch: each row's key checked and its fingerprint taken, in one pass. */
export function keyBatch(rows: readonly Row[], mapper: RowMapper): KeyedBatch {
  const keyed: KeyedRow[] = [];
  const keys: string[] = [];
  const sourceHashes: string[] = [];
  const invalid: InvalidRow[] = [];
  for (const row of rows) {
    const outcome = mapper.keyOf(row);
    if (outcome.kind === 'invalid') {
      invalid.push(outcome);
      continue;
    }
    keyed.push(outcome);
    keys.push(outcome.key);
    sourceHashes.push(mapper.fingerprint(outcome));
  }
  return { rows: keyed, keys, sourceHashes, invalid };
}
