import type { FingerprintPage } from './state-store.js';

/**
 * A page of delivered fingerprints (DeliveryLedger.deliveredFingerprints) from the rows a store
 * scanned, in its key order: `[key, delivered source fingerprint]` as the caller reads them back
 * (unescaped), with the key to resume after as the store compares it (`storedLastKey`). Rows of
 * another salt are dropped here rather than in SQL: SQLite's text functions stop at the U+0000 that
 * ends a salt, and PostgreSQL stores it escaped (pg-text.ts).
 */
export function fingerprintPage(
  rows: readonly (readonly [key: string, sourceHash: string])[],
  salt: string,
  limit: number,
  storedLastKey: string | undefined,
): FingerprintPage {
  const keys: string[] = [];
  const rowHashes: string[] = [];
  for (const [key, sourceHash] of rows) {
    if (sourceHash.length <= salt.length || !sourceHash.startsWith(salt)) continue;
    keys.push(key);
    rowHashes.push(sourceHash.slice(salt.length));
  }
  return { keys, rowHashes, next: rows.length < limit ? null : (storedLastKey ?? null) };
}
