import type { RecordStatus, RunRecord } from '../../core/run.js';

/**
 * A run's records are stored a batch to a row (`record_batches`, migration 5): what one call
 * recorded (a sent batch's outcomes, or a source batch's invalid rows). Per record, one tuple
 * `[key, status, reason, message, messageId, payloadLength]` in `records` (JSON); the payloads
 * themselves concatenated in `payloads`, cut apart by those lengths (UTF-16 units, as JavaScript
 * strings count; -1 for no payload). One row of ~500 KB costs far less to write than 1,250 rows of
 * ~400 bytes with their index entries (bench/README.md).
 */
export type RecordTuple = [
  key: string | null,
  status: RecordStatus,
  reason: string | null,
  message: string | null,
  messageId: string | null,
  payloadLength: number,
];

export interface EncodedBatch {
  /** The statuses present, as `,a,b,`, so a status filter can skip a batch without parsing it. */
  statuses: string;
  records: string;
  payloads: string | null;
}

export type RecordInput = Omit<RunRecord, 'runId'>;

export function encodeBatch(records: readonly RecordInput[]): EncodedBatch {
  const tuples: RecordTuple[] = new Array(records.length);
  const payloads: string[] = [];
  const statuses = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    statuses.add(r.status);
    if (r.payload !== null) payloads.push(r.payload);
    tuples[i] = [
      r.key,
      r.status,
      r.reason,
      r.message,
      r.messageId,
      r.payload === null ? -1 : r.payload.length,
    ];
  }
  return {
    statuses: `,${[...statuses].join(',')},`,
    records: JSON.stringify(tuples),
    payloads: payloads.length === 0 ? null : payloads.join(''),
  };
}

/** The records of one stored batch, in order, each with its payload cut out of `payloads`. */
export function decodeBatch(records: string, payloads: string | null, runId: string): RunRecord[] {
  const tuples = JSON.parse(records) as RecordTuple[];
  const decoded: RunRecord[] = new Array(tuples.length);
  let offset = 0;
  for (let i = 0; i < tuples.length; i++) {
    const [key, status, reason, message, messageId, length] = tuples[i]!;
    let payload: string | null = null;
    if (length >= 0 && payloads !== null) {
      // A one-record batch's payload is the whole text (records moved over by migration 5 carry no
      // length JavaScript could use).
      payload = tuples.length === 1 ? payloads : payloads.slice(offset, offset + length);
      offset += length;
    }
    decoded[i] = { runId, key, status, reason, message, messageId, payload };
  }
  return decoded;
}

/** The payload of record `index` of a stored batch, or null. */
export function payloadAt(records: string, payloads: string | null, index: number): string | null {
  if (payloads === null) return null;
  const tuples = JSON.parse(records) as RecordTuple[];
  const tuple = tuples[index];
  if (tuple === undefined || tuple[5] < 0) return null;
  if (tuples.length === 1) return payloads;
  let offset = 0;
  for (let i = 0; i < index; i++) offset += Math.max(0, tuples[i]![5]);
  return payloads.slice(offset, offset + tuple[5]);
}

/** Record `index` of a stored batch, or null when there is none. */
export function recordAt(
  records: string,
  payloads: string | null,
  index: number,
  runId: string,
): RunRecord | null {
  return decodeBatch(records, payloads, runId)[index] ?? null;
}
