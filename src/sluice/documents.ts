import type { RunCounts, RunRecord, RunSummary } from '../core/run.js';
import type { TokenRole } from '../core/token-roles.js';
import type { KeyHistoryEntry, KeyState, Page, StoredExchange, StoredToken } from '../state/state-store.js';
import type { DryRunSample, InvalidSample, WritebackOutcome } from '../sync/run-result.js';

/**
 * The JSON documents every caller gets — the public API, `--json` on the CLI, and the HTTP API
 * (SPEC §4, §6): one shape each, snake_case as the SPEC prints them, so what a script reads from
 * the CLI is what code gets from `openWorkspace` and what the HTTP API returns.
 */

/** A run as `sluice runs --json` and `Sluice.runs` give it. */
export interface RunDocument {
  run_id: string;
  sync: string;
  status: RunSummary['status'];
  dry_run: boolean;
  full_resync: boolean;
  /** Live while the run goes: stored every few seconds. */
  counts: RunCounts;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  error: { code: string; message: string } | null;
  /** When it was asked for, for a run that was queued (SPEC §6); absent for a run started at once. */
  requested_at?: string;
  /** When someone asked it to stop; absent unless asked. */
  cancel_requested_at?: string;
  /** A dry run kept in the history: what it would send (SPEC §4's dry-run fields). */
  samples?: DryRunSample[];
  invalid_samples?: InvalidSample[];
  not_shown?: { planned: number; invalid: number };
  /** What the run's warehouse writeback did, the latest one (SPEC §7); absent until one was written. */
  writeback?: WritebackOutcome;
  /** When retention deleted the run's per-row records; absent while they are kept. */
  records_pruned_at?: string;
}

/** One row's fate in a run, as `sluice records --json` gives it. */
export interface RecordDocument {
  run_id: string;
  key: string | null;
  status: RunRecord['status'];
  reason: string | null;
  message: string | null;
  message_id: string | null;
  /** The message as sent (parsed JSON), or the mapped payload of an invalid row; null when none. */
  payload: unknown;
}

/** One record in a key's history: a record, and when its run started. */
export interface KeyHistoryDocument extends RecordDocument {
  run_started_at: string;
}

/** What the state store remembers of a key (never its payloads): SPEC §6 "one key: its state". */
export interface KeyStateDocument {
  delivered_hash: string | null;
  delivered_message_id: string | null;
  generation: number;
  pending: {
    hash: string;
    message_id: string;
    generation: number;
    attempts: number;
    first_failed_at: string | null;
    last_error: string | null;
    abandoned: boolean;
  } | null;
  removed: boolean;
}

/** An API token as `sluice token list --json` and `Sluice.listTokens` give it: never the token or its hash. */
export interface TokenDocument {
  name: string;
  role: TokenRole;
  created_at: string;
  /** When it last authenticated a request (recorded at most about once a minute); null when never. */
  last_used_at: string | null;
}

/** A token just made (`sluice token create --json`, `Sluice.createToken`): the only time `token` is shown. */
export interface CreatedToken {
  name: string;
  role: TokenRole;
  /** `slk_` and 43 base64url characters; only its SHA-256 is stored. */
  token: string;
  created_at: string;
}

/**
 * One HTTP exchange with the destination as the inspector kept it (`sluice inspect --json`, SPEC
 * §7): secrets redacted, bodies as text cut to a few KB (`truncated`, with the full sizes), and
 * every messageId the request carried.
 */
export interface ExchangeDocument {
  at: string;
  method: string;
  url: string;
  /** Null when no answer came (`error` says why). */
  status: number | null;
  error: string | null;
  latency_ms: number;
  attempt: number;
  request_headers: Record<string, string>;
  request_body: string;
  request_bytes: number;
  response_headers: Record<string, string>;
  response_body: string;
  response_bytes: number;
  truncated: boolean;
  message_ids: string[];
}

/** A page of a listing (SPEC §6 "Lists"): pass `next_cursor` back as `cursor` to read on. */
export interface Listing<T> {
  items: T[];
  next_cursor: string | null;
}

export function runDocument(run: RunSummary): RunDocument {
  return {
    run_id: run.runId,
    sync: run.sync,
    status: run.status,
    dry_run: run.dryRun,
    full_resync: run.fullResync,
    counts: run.counts,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
    error: run.error,
    ...(run.requestedAt === undefined ? {} : { requested_at: run.requestedAt }),
    ...(run.cancelRequestedAt === undefined ? {} : { cancel_requested_at: run.cancelRequestedAt }),
    ...(run.report === undefined ? {} : dryRunReport(run.report)),
    ...(run.writeback === undefined ? {} : { writeback: run.writeback }),
    ...(run.recordsPrunedAt === undefined ? {} : { records_pruned_at: run.recordsPrunedAt }),
  };
}

/** A recorded dry run's samples, as its run stored them (JSON of the SPEC §4 fields). */
function dryRunReport(text: string): Pick<RunDocument, 'samples' | 'invalid_samples' | 'not_shown'> {
  const report = parseOrText(text);
  if (typeof report !== 'object' || report === null) return {};
  const { samples, invalid_samples, not_shown } = report as Pick<
    RunDocument,
    'samples' | 'invalid_samples' | 'not_shown'
  >;
  return {
    ...(samples === undefined ? {} : { samples }),
    ...(invalid_samples === undefined ? {} : { invalid_samples }),
    ...(not_shown === undefined ? {} : { not_shown }),
  };
}

export function recordDocument(record: RunRecord): RecordDocument {
  return {
    run_id: record.runId,
    key: record.key,
    status: record.status,
    reason: record.reason,
    message: record.message,
    message_id: record.messageId,
    payload: record.payload === null ? null : parseOrText(record.payload),
  };
}

export function keyHistoryDocument(entry: KeyHistoryEntry): KeyHistoryDocument {
  return { ...recordDocument(entry), run_started_at: entry.runStartedAt };
}

export function keyStateDocument(state: KeyState): KeyStateDocument {
  const pending = state.pending;
  return {
    delivered_hash: state.deliveredHash,
    delivered_message_id: state.deliveredMessageId,
    generation: state.generation,
    pending:
      pending === null
        ? null
        : {
            hash: pending.hash,
            message_id: pending.messageId,
            generation: pending.generation,
            attempts: pending.attempts,
            first_failed_at: pending.firstFailedAt,
            last_error: pending.lastError,
            abandoned: pending.abandoned,
          },
    removed: state.removed,
  };
}

export function tokenDocument(token: StoredToken): TokenDocument {
  return {
    name: token.name,
    role: token.role,
    created_at: token.createdAt,
    last_used_at: token.lastUsedAt,
  };
}

export function exchangeDocument(exchange: StoredExchange): ExchangeDocument {
  return {
    at: exchange.at,
    method: exchange.method,
    url: exchange.url,
    status: exchange.status,
    error: exchange.error,
    latency_ms: exchange.latencyMs,
    attempt: exchange.attempt,
    request_headers: exchange.requestHeaders,
    request_body: exchange.requestBody,
    request_bytes: exchange.requestBytes,
    response_headers: exchange.responseHeaders,
    response_body: exchange.responseBody,
    response_bytes: exchange.responseBytes,
    truncated: exchange.truncated,
    message_ids: exchange.messageIds,
  };
}

export function listing<T, D>(page: Page<T>, toDocument: (item: T) => D): Listing<D> {
  return { items: page.items.map(toDocument), next_cursor: page.next };
}

/** A payload is JSON as sent; one that is not (never expected) is shown as its text. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
