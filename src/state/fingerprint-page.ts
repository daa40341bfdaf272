import type { FingerprintPage } from './state-store.js';

/**
 * A page of delivered fingerprints (DeliveryLedger.deliveredFingerprints) from the rows a store
 * scanned, in its key order: `[key, delivered source fingerprint]` as the caller reads them back
 * (unescaped), with the key to resume after as the store compares it (`storedLastKey`). Rows of
 * another salt are dropped here rather than in SQL: SQLite's text functions stop at the U+0000 that
 * ends a salt, and PostgreSQL stores it escaped (pg-text.ts). The stores' packed pages (one string
 * per column, joined in SQL) are the fast path; this one is for the pages those cannot carry.
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
  return { pairs: [keys, rowHashes], next: rows.length < limit ? null : (storedLastKey ?? null) };
}

/**
 * The least string above every string that starts with `prefix`, in code point order (which is
 * SQLite's BINARY order: UTF-8 bytes compared with memcmp, U+0000 included): `prefix` with its last
 * character one up. So `text > prefix AND text < end` is "starts with `prefix` and is longer", a
 * comparison SQLite makes on whole values where its text functions would stop at a U+0000. Null
 * for a prefix without one this simple (empty, or ending in U+10FFFF or half a surrogate pair).
 */
export function prefixEnd(prefix: string): string | null {
  const characters = [...prefix];
  const last = characters.pop()?.codePointAt(0);
  if (last === undefined || last >= 0x10ffff || (last >= 0xd800 && last <= 0xdfff)) return null;
  return characters.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
}
