/**
 * Compares what arrived at the receiver with the oracle and lists every difference as a
 * sentence naming the row, the generated value, what was expected and what arrived, so a failure
 * says exactly which value of which type broke.
 */
import type { DiffRow } from './diff-load.js';
import {
  expectedKey,
  expectedValue,
  type Gen,
  isBlank,
  isoTimestamp,
  segmentTakesTimestamp,
} from './diff-oracle.js';
import type { SyncOutcome } from './diff-sync.js';

/** One generated run of an engine: its rows and what each sync did with them. */
export interface DiffRun {
  label: string;
  rows: DiffRow[];
  outcomes: Map<string, SyncOutcome>;
}

const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x));

function traitsOf(message: Record<string, unknown>): Record<string, unknown> {
  return (message.traits ?? message.properties ?? {}) as Record<string, unknown>;
}

/** Differences between the `values` sync's traits for column `index` and the oracle. */
export function valueDifferences(run: DiffRun, index: number, column: string): string[] {
  const outcome = run.outcomes.get('values');
  if (outcome === undefined) return [`${run.label}: no values sync ran`];
  const byRow = new Map(outcome.messages.map((m) => [String(m.userId), traitsOf(m)]));
  const out: string[] = [];
  for (const row of run.rows) {
    const g = row.values[index] ?? null;
    const traits = byRow.get(String(row.rid));
    const want = expectedValue(g);
    if (traits === undefined) {
      const refused = outcome.invalid.find((r) => r.key === String(row.rid));
      out.push(
        `${run.label} row ${row.rid}: ${show(g)} expected ${show(want)}, row not sent (${show(refused)})`,
      );
    } else if (show(traits[column]) !== show(want)) {
      out.push(
        `${run.label} row ${row.rid}: ${show(g)} expected ${show(want)}, arrived ${show(traits[column])}`,
      );
    }
  }
  return out;
}

/**
 * Differences for a sync keyed on column `index`: each valid key arrives once, as exactly its
 * text, with its own row; no two rows share a userId; each invalid key is one `null_key` record.
 */
export function keyDifferences(run: DiffRun, index: number, sync: string): string[] {
  const outcome = run.outcomes.get(sync);
  if (outcome === undefined) return [`${run.label}: sync ${sync} did not run`];
  const out: string[] = [];
  const rowsByUserId = new Map<string, unknown[]>();
  for (const m of outcome.messages) {
    const list = rowsByUserId.get(String(m.userId)) ?? [];
    list.push(traitsOf(m).row);
    rowsByUserId.set(String(m.userId), list);
  }
  for (const [userId, rows] of rowsByUserId) {
    if (rows.length > 1) out.push(`${run.label}: rows ${show(rows)} merged into userId ${show(userId)}`);
  }
  const texts = new Map<string, number>();
  let nullKeys = 0;
  for (const row of run.rows) {
    const g: Gen | null = row.values[index] ?? null;
    const want = expectedKey(g);
    if ('invalid' in want) {
      nullKeys++;
      const sent = outcome.messages.find((m) => traitsOf(m).row === row.rid);
      if (sent)
        out.push(
          `${run.label} row ${row.rid}: key ${show(g)} should be null_key, sent as ${show(sent.userId)}`,
        );
      continue;
    }
    if (texts.has(want.text))
      out.push(`oracle: rows ${texts.get(want.text)} and ${row.rid} share key ${show(want.text)}`);
    texts.set(want.text, row.rid);
    const arrived = rowsByUserId.get(want.text);
    if (arrived === undefined || !arrived.includes(row.rid)) {
      const got = outcome.messages.find((m) => traitsOf(m).row === row.rid);
      const refused = got ? undefined : outcome.invalid.map((r) => `${r.key}:${r.reason}`);
      out.push(
        `${run.label} row ${row.rid}: key ${show(g)} expected userId ${show(want.text)}, arrived ${got ? show(got.userId) : `nothing (invalid: ${show(refused)})`}`,
      );
    }
  }
  const reasons = outcome.invalid.map((r) => r.reason);
  const nullKeyRecords = reasons.filter((r) => r === 'null_key').length;
  if (nullKeyRecords !== nullKeys || reasons.length !== nullKeys) {
    out.push(
      `${run.label}: expected ${nullKeys} null_key records, got ${show(outcome.invalid.map((r) => [r.key, r.reason]))}`,
    );
  }
  return out;
}

/**
 * Differences for the `events` sync (event name from `s`, timestamp from `ev_ts`): a blank or null
 * name is `missing_event`, a null timestamp or one Segment does not take `invalid_timestamp`,
 * anything else arrives with its name
 * exactly and its timestamp exact (or cut to milliseconds, if that is what Segment keeps).
 */
export function eventDifferences(run: DiffRun, nameIndex: number, tsIndex: number): string[] {
  const outcome = run.outcomes.get('events');
  if (outcome === undefined) return [`${run.label}: no events sync ran`];
  const out: string[] = [];
  for (const row of run.rows) {
    const name = row.values[nameIndex] ?? null;
    const ts = row.values[tsIndex] ?? null;
    const reasons: string[] = [];
    if (name === null || (name.t === 'str' && isBlank(name.s))) reasons.push('missing_event');
    if (ts === null || (ts.t === 'ts' && !segmentTakesTimestamp(ts.ns))) reasons.push('invalid_timestamp');
    const sent = outcome.messages.find((m) => (m.properties as Record<string, unknown>)?.row === row.rid);
    const refused = outcome.invalid.find((r) => r.key === String(row.rid));
    if (reasons.length > 0) {
      if (sent || !refused || !reasons.includes(refused.reason)) {
        out.push(
          `${run.label} row ${row.rid}: event ${show(name)} at ${show(ts)} expected ${reasons.join(' or ')}, got ${sent ? `sent ${show({ event: sent.event, timestamp: sent.originalTimestamp })}` : show(refused)}`,
        );
      }
      continue;
    }
    const wantName = name?.t === 'str' ? name.s : null;
    const full = ts?.t === 'ts' ? isoTimestamp(ts.ns) : null;
    const timestamps = full === null ? [] : [full, `${full.slice(0, full.indexOf('.') + 4)}Z`];
    if (!sent) out.push(`${run.label} row ${row.rid}: event ${show(wantName)} not sent (${show(refused)})`);
    else if (sent.event !== wantName || !timestamps.includes(String(sent.originalTimestamp))) {
      out.push(
        `${run.label} row ${row.rid}: expected event ${show(wantName)} at ${show(full)}, arrived ${show(sent.event)} at ${show(sent.originalTimestamp)}`,
      );
    }
  }
  return out;
}
