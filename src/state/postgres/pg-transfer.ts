import type { RunSummary } from '../../core/run.js';
import type { KeyTransfer, StatePiece } from '../state-store.js';
import type { PgAlerts } from './pg-alerts.js';
import type { PgExchanges } from './pg-exchanges.js';
import { type KeyStateRow, toKeyState } from './pg-key-states.js';
import type { PgQueryable } from './pg-pool.js';
import {
  type PgRunHistory,
  type RecordRow,
  type RunRow,
  runColumns,
  toRecord,
  toSummary,
} from './pg-run-history.js';
import type { PgScheduleSlots } from './pg-schedule-slots.js';
import { fromPgText, toPgText, toPgTexts } from './pg-text.js';
import type { PgTokens } from './pg-tokens.js';

/** The store's parts a transfer reads and writes through. */
export interface PgTransferParts {
  runs: PgRunHistory;
  tokens: PgTokens;
  slots: PgScheduleSlots;
  exchanges: PgExchanges;
  alerts: PgAlerts;
}

/**
 * Where an export stands: after the workspace id, the API tokens, the latest slots and the alerts,
 * run by run (record by record, then the run's exchanges), then key by key.
 */
type Position =
  | { phase: 'runs'; run: string; record: string | null }
  | { phase: 'keys'; sync: string; key: string };

/** Records per export page, about; and key states per page. */
const RECORDS_PER_PAGE = 20_000;
const KEYS_PER_PAGE = 5_000;
/** Exchanges and alerts per piece. */
const PER_PIECE = 500;

type KeyRow = KeyStateRow & { sync: string; delivered_at: string | null; payload: string | null };

/**
 * A whole PostgreSQL state, exported and imported a page at a time (state-store.ts StateTransfer),
 * in the SQLite store's piece order. Imported keys keep their last delivered message in
 * `kept_payloads` (as a pruned delivery does), so no record has to stand for it. The caller
 * (PostgresStateStore) owns transactions and error wrapping.
 */
export class PgTransfer {
  readonly #runs: PgRunHistory;
  readonly #tokens: PgTokens;
  readonly #slots: PgScheduleSlots;
  readonly #exchanges: PgExchanges;
  readonly #alerts: PgAlerts;

  constructor(parts: PgTransferParts) {
    this.#runs = parts.runs;
    this.#tokens = parts.tokens;
    this.#slots = parts.slots;
    this.#exchanges = parts.exchanges;
    this.#alerts = parts.alerts;
  }

  async isEmpty(db: PgQueryable): Promise<boolean> {
    const { rows } = await db.query<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM key_states)
              OR EXISTS (SELECT 1 FROM api_tokens) AS any`,
    );
    return !rows[0]!.any;
  }

  /** One page of the export; the workspace id and the tokens (few) open the first. */
  async exportPage(
    db: PgQueryable,
    cursor: string | null,
    workspaceId: string,
  ): Promise<{ pieces: StatePiece[]; next: string | null }> {
    const pieces: StatePiece[] = [];
    let at: Position = cursor === null ? { phase: 'runs', run: '0', record: null } : parsePosition(cursor);
    if (cursor === null) {
      pieces.push(
        { kind: 'workspace', workspaceId },
        { kind: 'tokens', tokens: await this.#tokens.list(db) },
      );
      const slots = await this.#slots.latest(db);
      if (slots.length > 0) pieces.push({ kind: 'slots', slots });
      const alerts = await this.#alerts.all(db);
      for (let i = 0; i < alerts.length; i += PER_PIECE) {
        pieces.push({ kind: 'alerts', alerts: alerts.slice(i, i + PER_PIECE) });
      }
    }
    let records = 0;
    let runId: string | null = null;
    if (at.phase === 'runs' && at.record !== null) {
      const { rows } = await db.query<{ run_id: string }>('SELECT run_id FROM runs WHERE seq = $1', [at.run]);
      runId = rows[0]!.run_id;
    }
    while (at.phase === 'runs') {
      if (records >= RECORDS_PER_PAGE) return { pieces, next: JSON.stringify(at) };
      if (at.record === null) {
        const { rows } = await db.query<RunRow>(
          `SELECT ${runColumns} FROM runs WHERE seq > $1 ORDER BY seq LIMIT 1`,
          [at.run],
        );
        const row = rows[0];
        if (row === undefined) {
          at = { phase: 'keys', sync: '', key: '' };
          break;
        }
        pieces.push({ kind: 'run', run: toSummary(row) });
        runId = row.run_id;
        at = { phase: 'runs', run: row.seq, record: '0' };
      }
      const limit = RECORDS_PER_PAGE - records;
      const { rows } = await db.query<RecordRow>(
        `SELECT r.seq, r.key, r.status, r.reason, r.message, r.message_id, r.payload FROM run_records r
         WHERE r.run_seq = $1 AND r.seq > $2 ORDER BY r.seq LIMIT $3`,
        [at.run, at.record, limit],
      );
      if (rows.length > 0) {
        pieces.push({
          kind: 'records',
          runId: runId!,
          records: rows.map((row) => {
            const { runId: _runId, ...record } = toRecord(row, runId!);
            return record;
          }),
        });
      }
      records += rows.length;
      if (rows.length < limit) {
        // The run's records are all out: its inspector exchanges follow them.
        const exchanges = await this.#exchanges.ofRun(db, at.run);
        for (let i = 0; i < exchanges.length; i += PER_PIECE) {
          pieces.push({ kind: 'exchanges', runId: runId!, exchanges: exchanges.slice(i, i + PER_PIECE) });
        }
        records += exchanges.length;
        at = { phase: 'runs', run: at.run, record: null };
      } else {
        at = { ...at, record: rows.at(-1)!.seq };
      }
    }
    const { rows } = await db.query<KeyRow>(
      `SELECT k.sync, k.key, k.generation, k.delivered_hash, k.delivered_source_hash, k.delivered_message_id,
              k.delivered_at, k.pending_hash, k.pending_message_id, k.pending_generation, k.attempts,
              k.first_failed_at, k.last_error, k.abandoned, k.removed, coalesce(r.payload, kp.payload) AS payload
       FROM key_states k
         LEFT JOIN run_records r ON r.seq = k.delivered_record
         LEFT JOIN kept_payloads kp ON k.delivered_record IS NULL AND kp.sync = k.sync AND kp.key = k.key
           AND kp.message_id = k.delivered_message_id
       WHERE (k.sync, k.key) > ($1, $2) ORDER BY k.sync, k.key LIMIT $3`,
      [at.sync, at.key, KEYS_PER_PAGE],
    );
    for (const row of rows) {
      const last = pieces.at(-1);
      const piece =
        last?.kind === 'keys' && last.sync === row.sync
          ? last
          : (pieces[pieces.push({ kind: 'keys', sync: row.sync, keys: [] }) - 1] as Extract<
              StatePiece,
              { kind: 'keys' }
            >);
      piece.keys.push({
        ...toKeyState(row),
        deliveredAt: row.delivered_at,
        deliveredPayload: fromPgText(row.payload),
      });
    }
    const last = rows.at(-1);
    return {
      pieces,
      next:
        rows.length < KEYS_PER_PAGE || last === undefined
          ? null
          : JSON.stringify({ phase: 'keys', sync: last.sync, key: last.key }),
    };
  }

  /** Adds exported pieces (inside the caller's transaction). */
  async importPieces(db: PgQueryable, pieces: readonly StatePiece[]): Promise<void> {
    for (const piece of pieces) {
      switch (piece.kind) {
        case 'workspace':
          await db.query(
            `INSERT INTO meta (name, value) VALUES ('workspace_id', $1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
            [piece.workspaceId],
          );
          break;
        case 'tokens':
          await this.#tokens.import(db, piece.tokens);
          break;
        case 'run':
          await importRun(db, piece.run);
          break;
        case 'records':
          await this.#runs.insert(db, await this.#runs.seqOf(db, piece.runId), piece.records);
          break;
        case 'keys':
          await importKeys(db, piece.sync, piece.keys);
          break;
        case 'slots':
          await this.#slots.insert(db, piece.slots);
          break;
        case 'exchanges':
          await this.#exchanges.record(db, piece.runId, piece.exchanges);
          break;
        case 'alerts':
          await this.#alerts.insert(db, piece.alerts);
          break;
      }
    }
  }

  /**
   * Deletes every run (with its records and inspector exchanges), key state, API token, schedule
   * slot, alert and notification (inside the caller's transaction).
   */
  async clear(db: PgQueryable): Promise<void> {
    await db.query(
      'TRUNCATE run_records, exchanges, runs, key_states, kept_payloads, present_keys, api_tokens, schedule_slots, alerts, notifications',
    );
  }
}

async function importRun(db: PgQueryable, run: RunSummary): Promise<void> {
  await db.query(
    `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at, finished_at,
                       error_code, error_message, records_pruned_at, requested_at, cancel_requested_at, report,
                       writeback)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      run.runId,
      run.sync,
      run.status,
      run.dryRun,
      run.fullResync,
      JSON.stringify(run.counts),
      run.startedAt,
      run.finishedAt,
      run.error?.code ?? null,
      toPgText(run.error?.message ?? null),
      run.recordsPrunedAt ?? null,
      run.requestedAt ?? null,
      run.cancelRequestedAt ?? null,
      toPgText(run.report ?? null),
      run.writeback === undefined ? null : JSON.stringify(run.writeback),
    ],
  );
}

async function importKeys(db: PgQueryable, sync: string, keys: readonly KeyTransfer[]): Promise<void> {
  if (keys.length === 0) return;
  const col = <T>(f: (key: KeyTransfer) => T) => keys.map(f);
  await db.query(
    `INSERT INTO key_states (sync, key, generation, delivered_hash, delivered_source_hash, delivered_message_id,
                             delivered_at, pending_hash, pending_message_id, pending_generation, attempts,
                             first_failed_at, last_error, abandoned, removed)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                              $9::text[], $10::bigint[], $11::int[], $12::text[], $13::text[], $14::boolean[],
                              $15::boolean[])`,
    [
      sync,
      toPgTexts(col((k) => k.key)),
      col((k) => k.generation),
      col((k) => k.deliveredHash),
      toPgTexts(col((k) => k.deliveredSourceHash)),
      col((k) => k.deliveredMessageId),
      col((k) => k.deliveredAt),
      col((k) => k.pending?.hash ?? null),
      col((k) => k.pending?.messageId ?? null),
      col((k) => k.pending?.generation ?? null),
      col((k) => k.pending?.attempts ?? 0),
      col((k) => k.pending?.firstFailedAt ?? null),
      toPgTexts(col((k) => k.pending?.lastError ?? null)),
      col((k) => k.pending?.abandoned === true),
      col((k) => k.removed),
    ],
  );
  const kept = keys.filter((k) => k.deliveredPayload !== null && k.deliveredMessageId !== null);
  if (kept.length === 0) return;
  await db.query(
    `INSERT INTO kept_payloads (sync, key, message_id, payload)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])`,
    [
      sync,
      toPgTexts(kept.map((k) => k.key)),
      kept.map((k) => k.deliveredMessageId),
      toPgTexts(kept.map((k) => k.deliveredPayload)),
    ],
  );
}

function parsePosition(cursor: string): Position {
  const parsed = JSON.parse(cursor) as Position;
  if (parsed.phase !== 'runs' && parsed.phase !== 'keys') throw new Error(`not an export cursor: ${cursor}`);
  return parsed;
}
