import type { RunRecord, RunSummary } from '../../core/run.js';
import type { KeyTransfer, StatePiece } from '../state-store.js';
import { decodeBatch } from './record-batch.js';
import type { SqliteAlerts } from './sqlite-alerts.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';
import type { SqliteExchanges } from './sqlite-exchanges.js';
import { type KeyStateRow, keyStateOf } from './sqlite-key-states.js';
import { type RunRow, runColumns, type SqliteRunHistory, toSummary } from './sqlite-run-history.js';
import type { SqliteScheduleSlots } from './sqlite-schedule-slots.js';
import type { SqliteTokens } from './sqlite-tokens.js';

/** The store's parts a transfer reads and writes through. */
export interface TransferParts {
  runs: SqliteRunHistory;
  tokens: SqliteTokens;
  slots: SqliteScheduleSlots;
  exchanges: SqliteExchanges;
  alerts: SqliteAlerts;
}

/**
 * Where an export stands: the workspace id, the API tokens, the latest slots and the alerts first,
 * then run by run (batch by batch, then the run's exchanges), then keys.
 */
type Position =
  | { phase: 'runs'; run: number; batch: number | null }
  | { phase: 'keys'; sync: string; key: string };

/** Records per export page, about; and key states per page. */
const RECORDS_PER_PAGE = 20_000;
const KEYS_PER_PAGE = 5_000;
const BATCHES_PER_READ = 20;
/** Exchanges and alerts per piece. */
const PER_PIECE = 500;

/** A key's row for export: its sync and delivery time, its state's columns, where its last message is. */
type KeyRow = [
  sync: string,
  deliveredAt: string | null,
  ...state: KeyStateRow,
  deliveredRecord: number | null,
  recordIndex: number | null,
  keptOrLegacyPayload: string | null,
];

/**
 * A whole SQLite state, exported and imported a page at a time (state-store.ts StateTransfer). The
 * caller (SqliteStateStore) owns transactions and error wrapping. Imported keys keep their last
 * delivered message in `key_states.delivered_payload` (read back as `ledger.deliveredPayloads` does
 * for keys delivered before their record pointed at it), so no record has to stand for it.
 */
export class SqliteTransfer {
  readonly #db: SqliteDatabase;
  readonly #runs: SqliteRunHistory;
  readonly #tokens: SqliteTokens;
  readonly #slots: SqliteScheduleSlots;
  readonly #exchanges: SqliteExchanges;
  readonly #alerts: SqliteAlerts;
  readonly #nextRun: SqliteStatement;
  readonly #batches: SqliteStatement;
  readonly #keys: SqliteStatement;
  readonly #batch: SqliteStatement;
  readonly #insertRun: SqliteStatement;
  readonly #insertKey: SqliteStatement;

  constructor(db: SqliteDatabase, parts: TransferParts) {
    this.#db = db;
    this.#runs = parts.runs;
    this.#tokens = parts.tokens;
    this.#slots = parts.slots;
    this.#exchanges = parts.exchanges;
    this.#alerts = parts.alerts;
    this.#nextRun = db.prepare(`SELECT ${runColumns} FROM runs WHERE seq > ? ORDER BY seq LIMIT 1`);
    this.#batches = db
      .prepare(
        'SELECT seq, records, payloads FROM record_batches WHERE run_seq = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .raw();
    // A key's last delivered message, wherever it is kept (as sqlite-key-states.ts reads it): in
    // its delivery's record batch (read once per batch, see #payloadOf), in kept_payloads once
    // retention pruned that batch, or in the legacy column.
    this.#keys = db
      .prepare(
        `SELECT k.sync, k.delivered_at, k.key, k.generation, k.delivered_hash, k.delivered_source_hash,
                k.delivered_message_id, k.pending_hash, k.pending_message_id, k.pending_generation, k.attempts,
                k.first_failed_at, k.last_error, k.abandoned, k.removed,
                k.delivered_record, k.delivered_record_index, coalesce(kp.payload, k.delivered_payload)
         FROM key_states k
           LEFT JOIN kept_payloads kp ON k.delivered_record IS NULL AND kp.sync = k.sync AND kp.key = k.key
             AND kp.message_id = k.delivered_message_id
         WHERE k.sync > ? OR (k.sync = ? AND k.key > ?) ORDER BY k.sync, k.key LIMIT ?`,
      )
      .raw();
    this.#batch = db.prepare('SELECT records, payloads FROM record_batches WHERE seq = ?').raw();
    this.#insertRun = db.prepare(
      `INSERT INTO runs (run_id, sync, status, dry_run, full_resync, counts, started_at, finished_at,
                         error_code, error_message, records_pruned_at, requested_at, cancel_requested_at, report,
                         writeback)
       VALUES (@runId, @sync, @status, @dryRun, @fullResync, @counts, @startedAt, @finishedAt,
               @errorCode, @errorMessage, @recordsPrunedAt, @requestedAt, @cancelRequestedAt, @report,
               @writeback)`,
    );
    this.#insertKey = db.prepare(
      `INSERT INTO key_states (sync, key, generation, delivered_hash, delivered_source_hash, delivered_payload,
                               delivered_message_id, delivered_at, pending_hash, pending_message_id,
                               pending_generation, attempts, first_failed_at, last_error, abandoned, removed)
       VALUES (@sync, @key, @generation, @deliveredHash, @deliveredSourceHash, @deliveredPayload,
               @deliveredMessageId, @deliveredAt, @pendingHash, @pendingMessageId, @pendingGeneration,
               @attempts, @firstFailedAt, @lastError, @abandoned, @removed)`,
    );
  }

  isEmpty(): boolean {
    const row = this.#db
      .prepare(
        'SELECT EXISTS (SELECT 1 FROM runs) OR EXISTS (SELECT 1 FROM key_states) OR EXISTS (SELECT 1 FROM api_tokens)',
      )
      .raw()
      .get() as [number];
    return row[0] === 0;
  }

  /** One page of the export (see `Position`); the workspace id and the tokens (few) open the first. */
  exportPage(
    cursor: string | null,
    workspaceId: () => string,
  ): { pieces: StatePiece[]; next: string | null } {
    const pieces: StatePiece[] = [];
    let at: Position = cursor === null ? { phase: 'runs', run: 0, batch: null } : parsePosition(cursor);
    if (cursor === null) {
      pieces.push(
        { kind: 'workspace', workspaceId: workspaceId() },
        { kind: 'tokens', tokens: this.#tokens.list() },
      );
      const slots = this.#slots.latest();
      if (slots.length > 0) pieces.push({ kind: 'slots', slots });
      const alerts = this.#alerts.all();
      for (let i = 0; i < alerts.length; i += PER_PIECE) {
        pieces.push({ kind: 'alerts', alerts: alerts.slice(i, i + PER_PIECE) });
      }
    }
    let records = 0;
    let runId: string | null = at.phase === 'runs' && at.batch !== null ? this.#runIdOf(at.run) : null;
    while (at.phase === 'runs') {
      if (records >= RECORDS_PER_PAGE) return { pieces, next: JSON.stringify(at) };
      if (at.batch === null) {
        const row = this.#nextRun.get(at.run) as RunRow | undefined;
        if (row === undefined) {
          at = { phase: 'keys', sync: '', key: '' };
          break;
        }
        pieces.push({ kind: 'run', run: toSummary(row) });
        runId = row.run_id;
        at = { phase: 'runs', run: row.seq, batch: 0 };
      }
      const batches = this.#batches.all(at.run, at.batch, BATCHES_PER_READ) as [
        number,
        string,
        string | null,
      ][];
      for (const [seq, text, payloads] of batches) {
        const decoded = decodeBatch(text, payloads, runId!).map(withoutRunId);
        pieces.push({ kind: 'records', runId: runId!, records: decoded });
        records += decoded.length;
        at = { phase: 'runs', run: at.run, batch: seq };
      }
      if (batches.length < BATCHES_PER_READ) {
        // The run's records are all out: its inspector exchanges follow them.
        const exchanges = this.#exchanges.ofRun(at.run);
        for (let i = 0; i < exchanges.length; i += PER_PIECE) {
          pieces.push({ kind: 'exchanges', runId: runId!, exchanges: exchanges.slice(i, i + PER_PIECE) });
        }
        records += exchanges.length;
        at = { phase: 'runs', run: at.run, batch: null };
      }
    }
    const rows = this.#keys.all(at.sync, at.sync, at.key, KEYS_PER_PAGE) as KeyRow[];
    // Keys delivered together point into the same record batch: each batch is read and parsed once.
    const batches = new Map<number, RunRecord[]>();
    const payloadOf = (row: KeyRow): string | null => {
      const [seq, index, kept] = row.slice(15) as [number | null, number | null, string | null];
      if (seq === null) return kept;
      let records = batches.get(seq);
      if (records === undefined) {
        const found = this.#batch.get(seq) as [string, string | null] | undefined;
        records = found === undefined ? [] : decodeBatch(found[0], found[1], '');
        batches.set(seq, records);
      }
      return records[index ?? 0]?.payload ?? null;
    };
    for (const row of rows) {
      const last = pieces.at(-1);
      const piece =
        last?.kind === 'keys' && last.sync === row[0]
          ? last
          : (pieces[pieces.push({ kind: 'keys', sync: row[0], keys: [] }) - 1] as Extract<
              StatePiece,
              { kind: 'keys' }
            >);
      piece.keys.push(keyTransfer(row, payloadOf(row)));
    }
    const last = rows.at(-1);
    return {
      pieces,
      next:
        rows.length < KEYS_PER_PAGE || last === undefined
          ? null
          : JSON.stringify({ phase: 'keys', sync: last[0], key: last[2] }),
    };
  }

  /** Adds exported pieces (inside the caller's transaction). */
  importPieces(pieces: readonly StatePiece[], setWorkspaceId: (id: string) => void): void {
    for (const piece of pieces) {
      switch (piece.kind) {
        case 'workspace':
          setWorkspaceId(piece.workspaceId);
          break;
        case 'tokens':
          this.#tokens.import(piece.tokens);
          break;
        case 'run':
          this.#importRun(piece.run);
          break;
        case 'records':
          this.#runs.insertBatch(this.#runs.seqOf(piece.runId), piece.records);
          break;
        case 'keys':
          for (const key of piece.keys) this.#importKey(piece.sync, key);
          break;
        case 'slots':
          this.#slots.insert(piece.slots);
          break;
        case 'exchanges':
          this.#exchanges.record(piece.runId, piece.exchanges);
          break;
        case 'alerts':
          this.#alerts.insert(piece.alerts);
          break;
      }
    }
  }

  /**
   * Deletes every run, record, key state, API token, schedule slot, alert and notification (inside
   * the caller's transaction).
   */
  clear(): void {
    this.#db.exec(
      'DELETE FROM record_keys; DELETE FROM record_batches; DELETE FROM exchanges; DELETE FROM runs; DELETE FROM key_states; DELETE FROM kept_payloads; DELETE FROM schedule_slots; DELETE FROM alerts; DELETE FROM notifications;',
    );
    this.#tokens.clear();
  }

  #importRun(run: RunSummary): void {
    this.#insertRun.run({
      runId: run.runId,
      sync: run.sync,
      status: run.status,
      dryRun: run.dryRun ? 1 : 0,
      fullResync: run.fullResync ? 1 : 0,
      counts: JSON.stringify(run.counts),
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      errorCode: run.error?.code ?? null,
      errorMessage: run.error?.message ?? null,
      recordsPrunedAt: run.recordsPrunedAt ?? null,
      requestedAt: run.requestedAt ?? null,
      cancelRequestedAt: run.cancelRequestedAt ?? null,
      report: run.report ?? null,
      writeback: run.writeback === undefined ? null : JSON.stringify(run.writeback),
    });
  }

  #importKey(sync: string, key: KeyTransfer): void {
    const pending = key.pending;
    this.#insertKey.run({
      sync,
      key: key.key,
      generation: key.generation,
      deliveredHash: key.deliveredHash,
      deliveredSourceHash: key.deliveredSourceHash,
      deliveredPayload: key.deliveredPayload,
      deliveredMessageId: key.deliveredMessageId,
      deliveredAt: key.deliveredAt,
      pendingHash: pending?.hash ?? null,
      pendingMessageId: pending?.messageId ?? null,
      pendingGeneration: pending?.generation ?? null,
      attempts: pending?.attempts ?? 0,
      firstFailedAt: pending?.firstFailedAt ?? null,
      lastError: pending?.lastError ?? null,
      abandoned: pending?.abandoned ? 1 : 0,
      removed: key.removed ? 1 : 0,
    });
  }

  #runIdOf(seq: number): string {
    const row = this.#db.prepare('SELECT run_id FROM runs WHERE seq = ?').raw().get(seq) as [string];
    return row[0];
  }
}

function withoutRunId({ runId: _runId, ...record }: RunRecord): Omit<RunRecord, 'runId'> {
  return record;
}

function keyTransfer(row: KeyRow, deliveredPayload: string | null): KeyTransfer {
  return { ...keyStateOf(row.slice(2, 15) as KeyStateRow), deliveredAt: row[1], deliveredPayload };
}

function parsePosition(cursor: string): Position {
  const parsed = JSON.parse(cursor) as Position;
  if (parsed.phase !== 'runs' && parsed.phase !== 'keys') throw new Error(`not an export cursor: ${cursor}`);
  return parsed;
}
