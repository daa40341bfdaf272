import { hash } from 'node:crypto';
import { isBlankText } from '../core/blank-text.js';
import type { Row, Value } from '../core/values.js';
import type { ObjectKind } from '../core/workspace.js';
import type { Destination, Prepared } from '../destinations/destination.js';
import type { CompiledMapping } from '../mapping/compile-mapping.js';
import { KEY_COUNT_COLUMN, ROW_HASH_COLUMN, ROW_TOTAL_COLUMN } from './extract.js';

/** A row turned into a message ready for diffing. */
export interface MappedRow {
  kind: 'ready';
  key: string;
  prepared: Prepared;
  /** Hash of `prepared.json`: what the diff compares with the last delivered hash. */
  hash: string;
  /** The source row's fingerprint (see RowMapper.fingerprint), remembered when delivered. */
  sourceHash: string;
}

/** A row that will not be sent, with SPEC §3's reason code. */
export interface InvalidRow {
  kind: 'invalid';
  key: string | null;
  reason: string;
  message: string;
  /** The mapped payload, when mapping got that far, for `sluice records`. */
  payload: string | null;
}

export type MapOutcome = MappedRow | InvalidRow;

/** A row with a usable, unique key. */
export interface KeyedRow {
  kind: 'keyed';
  key: string;
  row: Row;
  /** The row's hash, when the warehouse computed one (extract.ts ROW_HASH_COLUMN). */
  rowHash: string | null;
}

/**
 * The per-row stage, in the order a sync uses it: `keyOf` (key checks), `fingerprint` (what the row
 * holds), then — only for rows that may have changed — `map` (mapping, the destination's validation
 * and serialisation, and the change hash). One serialisation per mapped row: the hash and the wire
 * body reuse `prepared.json`.
 */
export interface RowMapper {
  /** The row's key, or why it has none usable (`null_key`, `duplicate_key`). */
  keyOf(row: Row): KeyedRow | InvalidRow;
  /**
   * A hash of the row's values salted with everything that decides its message (the mapping, the
   * object, Sluice's version): equal fingerprints give equal messages, so a row whose fingerprint
   * matches its last delivery needs no mapping to be known unchanged.
   */
  fingerprint(keyed: KeyedRow): string;
  /** What a warehouse-hashed row's fingerprint starts with: the salt, then the row hash follows. */
  readonly salt: string;
  map(keyed: KeyedRow, sourceHash: string): MapOutcome;
  /** All three in a row, for a row that is known to need mapping. */
  mapRow(row: Row): MapOutcome;
}

export function createRowMapper(options: {
  keyColumn: string;
  object: ObjectKind;
  mapping: CompiledMapping;
  destination: Destination;
  /** What besides the row decides its message (see RowMapper.fingerprint), as text. */
  salt: string;
}): RowMapper {
  const { keyColumn, object, mapping, destination } = options;
  const salt = `${hash('sha1', options.salt, 'base64url')}\u0000`;
  const mapper: RowMapper = {
    salt,
    keyOf(row) {
      const keyValue = row[keyColumn];
      const keyCount = row[KEY_COUNT_COLUMN];
      const rowHash = row[ROW_HASH_COLUMN];
      // The extract's own columns are hidden from the mapping and the fingerprint (both skip
      // undefined values, as JSON does). Not `delete`: that turns the row into a slow dictionary
      // object, which profiled at ~2 µs a row in keyOf and JSON.stringify on a 10M-row run.
      const hidden = row as Record<string, Value | undefined>;
      hidden[KEY_COUNT_COLUMN] = undefined;
      hidden[ROW_TOTAL_COLUMN] = undefined;
      if (rowHash !== undefined) hidden[ROW_HASH_COLUMN] = undefined;
      if (keyValue === null || keyValue === undefined) {
        // The value model makes null of what has no exact JSON value too: NaN and ±Infinity floats,
        // `infinity` timestamps and dates (src/sources/README.md), so none of those can become a key.
        return invalid(
          null,
          'null_key',
          `the key column "${keyColumn}" is null (NaN, Infinity and infinite dates read as null too)`,
          null,
        );
      }
      if (typeof keyValue === 'string' && isBlankText(keyValue)) {
        return invalid(null, 'null_key', `the key column "${keyColumn}" is empty or only whitespace`, null);
      }
      let key: string;
      try {
        key = keyToString(keyValue);
      } catch (error) {
        // JSON.stringify recurses: a key cell nested thousands of levels deep cannot be written down.
        // No usable key is the row's problem (SPEC §3 `null_key`), not a reason to fail the run.
        if (!(error instanceof RangeError)) throw error;
        return invalid(
          null,
          'null_key',
          `the key column "${keyColumn}" holds a value nested too deeply to serve as a key`,
          null,
        );
      }
      // The window count is a number from every engine but could be a digit string from one that
      // widens counts to big integers; Number() reads both.
      if (Number(keyCount ?? 1) > 1) {
        return invalid(
          key,
          'duplicate_key',
          `${keyCount} rows share the key ${JSON.stringify(key)}; none of them is sent until the key is unique`,
          null,
        );
      }
      return { kind: 'keyed', key, row, rowHash: typeof rowHash === 'string' ? rowHash : null };
    },

    fingerprint({ row, rowHash }) {
      // The warehouse hashed the row (extract.ts): salt and hash side by side are the fingerprint.
      if (rowHash !== null) return salt + rowHash;
      // Values are JSON-safe by the Source contract (core/values.ts); a row nested too deeply to
      // stringify gets a fingerprint that matches nothing, so it always goes through mapping.
      let text: string;
      try {
        text = JSON.stringify(row);
      } catch {
        return '';
      }
      return hash('sha1', salt + text, 'base64url');
    },

    map({ key, row }, sourceHash) {
      const mapped = mapping.map(row);
      if (!mapped.ok) return invalid(key, mapped.reason, mapped.message, null);
      const prepared = destination.prepare(object, mapped.payload);
      if (!prepared.ok) return invalid(key, prepared.reason, prepared.message, safeStringify(mapped.payload));
      return { kind: 'ready', key, prepared, hash: hash('sha1', prepared.json, 'base64url'), sourceHash };
    },

    mapRow(row) {
      const keyed = mapper.keyOf(row);
      return keyed.kind === 'invalid' ? keyed : mapper.map(keyed, mapper.fingerprint(keyed));
    },
  };
  return mapper;
}

/**
 * Keys are compared and stored as strings: warehouse integers become "42", like ids on the wire.
 * Every value the sources yield has one exact text (decimals beyond a double's digits and
 * sub-millisecond timestamps arrive as exact strings, src/core/values.ts), so two different
 * warehouse keys never give one key text.
 */
export function keyToString(value: Value): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function invalid(key: string | null, reason: string, message: string, payload: string | null): InvalidRow {
  return { kind: 'invalid', key, reason, message, payload };
}

function safeStringify(value: unknown): string | null {
  try {
    return JSON.stringify(value);
  } catch {
    return null;
  }
}
