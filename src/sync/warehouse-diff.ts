import { rowsOf, type TextColumns } from '../core/text-columns.js';
import type { Source, TemporaryTable } from '../sources/source.js';
import type { FingerprintPage, StateStore } from '../state/state-store.js';

/** The temporary table a warehouse diff loads on the extract's connection (extract.ts buildDiffExtract). */
export const FINGERPRINTS_TABLE = 'sluice_fingerprints';

/** Keys per page read from the state store while the table loads. */
const FINGERPRINT_PAGE = 20_000;

/**
 * Whether a source can diff where the data lives: it loads a temporary table beside a query
 * (`streamWithTable`, with the SQL that names it and the key's text, `temporaryTableSql` and
 * `keyTextSql`) and hashes rows in SQL (`rowHashSql`, the hash the sync's fingerprints are made
 * of, sync/map.ts). A connection may still refuse the table (PostgreSQL without the TEMP
 * privilege): the detector then falls back (detect-changes.ts). Where a source can, it is the faster
 * way on a run where little changed, so the automatic choice takes it with no rule per engine:
 * DuckDB ≈ 1 s less of ≈ 7 at 1M rows; PostgreSQL, where unchanged rows no longer cross the network
 * either, 0.3–0.9× the state lookup's time in every pair measured (bench/README.md).
 */
export function canDiffInWarehouse(source: Source): boolean {
  const { rowHashSql, temporaryTableSql, keyTextSql } = source.capabilities;
  return (
    source.streamWithTable !== undefined &&
    rowHashSql !== undefined &&
    temporaryTableSql !== undefined &&
    keyTextSql !== undefined
  );
}

/**
 * The sync's delivered fingerprints as the warehouse joins them: `(key, row_hash)` for every key the
 * state-lookup detector could find unchanged (DeliveryLedger.deliveredFingerprints: delivered,
 * nothing pending, not flagged removed) whose fingerprint carries this run's `salt` — the salt is
 * matched in the state store and left out, so the warehouse compares its own row hash with what
 * follows the salt, which is what `salt + hash = fingerprint` (RowMapper.fingerprint) amounts to.
 * After a mapping change or an upgrade no fingerprint carries the salt: the table is empty and
 * every row goes through the state store, which remaps and refreshes them (plan-batch.ts).
 */
export function fingerprintsTable(state: StateStore, sync: string, salt: string): TemporaryTable {
  return {
    name: FINGERPRINTS_TABLE,
    columns: ['key', 'row_hash'],
    pages: fingerprintPages(state, sync, salt),
  };
}

/** The pages, the next one asked for while the warehouse loads this one. */
async function* fingerprintPages(state: StateStore, sync: string, salt: string): AsyncGenerator<TextColumns> {
  const ask = (after: string | undefined): Promise<FingerprintPage> =>
    state.ledger.deliveredFingerprints(sync, {
      salt,
      limit: FINGERPRINT_PAGE,
      ...(after === undefined ? {} : { after }),
    });
  let next = ask(undefined);
  for (;;) {
    const page = await next;
    const more = page.next;
    if (more !== null) {
      next = ask(more);
      next.catch(() => {}); // observed when awaited above, or dropped when the load stops early
    }
    if (rowsOf(page.pairs) > 0) yield page.pairs;
    if (more === null) return;
  }
}
