/**
 * The PostgreSQL state schema as numbered migrations (append only: never edit a released one, add
 * the next number). It carries the SQLite schema's meaning (sqlite/migrations.ts) as it stands
 * after its last migration, with PostgreSQL types: identity columns, booleans, jsonb counts.
 * Timestamps stay ISO-8601 UTC text, so both stores compare and return them the same way. Tables are
 * named unqualified: the store's connections have the state schema as their search_path.
 */

/** One schema step, applied in a transaction and recorded in `schema_migrations`. */
export interface PgMigration {
  /** 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  sql: string;
}

const initial = `
CREATE TABLE meta (
  name  text PRIMARY KEY,
  value text NOT NULL
);

-- seq gives insertion order: "newest first" is seq DESC, whatever clock the caller used.
CREATE TABLE runs (
  seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id            text NOT NULL UNIQUE,
  sync              text NOT NULL,
  status            text NOT NULL,
  dry_run           boolean NOT NULL DEFAULT false,
  full_resync       boolean NOT NULL,
  counts            jsonb NOT NULL,
  started_at        text NOT NULL,
  finished_at       text,
  error_code        text,
  error_message     text,
  records_pruned_at text
);
CREATE INDEX runs_by_sync ON runs (sync, seq);
CREATE INDEX runs_by_status ON runs (status, seq);

-- One row per record (SQLite packs a batch into a row; here the indexes are what matter): a run's
-- records in insertion order with or without a status filter, and a key's history run by run.
CREATE TABLE run_records (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_seq    bigint NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  key        text,
  status     text NOT NULL,
  reason     text,
  message    text,
  message_id text,
  payload    text
);
CREATE INDEX run_records_by_run ON run_records (run_seq, seq);
CREATE INDEX run_records_by_run_status ON run_records (run_seq, status, seq);
CREATE INDEX run_records_by_key ON run_records (key, run_seq DESC, seq) WHERE key IS NOT NULL;

-- Per sync and key: what was last delivered (delivered_record: the run record holding the message
-- as sent), and the change planned but not yet delivered.
CREATE TABLE key_states (
  sync                  text NOT NULL,
  key                   text NOT NULL,
  generation            bigint NOT NULL DEFAULT 0,
  delivered_hash        text,
  delivered_source_hash text,
  delivered_message_id  text,
  delivered_record      bigint,
  delivered_at          text,
  pending_hash          text,
  pending_message_id    text,
  pending_generation    bigint,
  attempts              integer NOT NULL DEFAULT 0,
  first_failed_at       text,
  last_error            text,
  abandoned             boolean NOT NULL DEFAULT false,
  removed               boolean NOT NULL DEFAULT false,
  PRIMARY KEY (sync, key)
);
CREATE INDEX key_states_removed ON key_states (sync, key) WHERE removed;

-- Named leases; expires_at is epoch milliseconds of the database's clock.
CREATE TABLE locks (
  name       text PRIMARY KEY,
  holder_id  text NOT NULL,
  host       text NOT NULL,
  pid        integer NOT NULL,
  label      text NOT NULL,
  expires_at bigint NOT NULL
);

-- Retention: a key's last delivered message, kept when its run's records are pruned.
CREATE TABLE kept_payloads (
  sync       text NOT NULL,
  key        text NOT NULL,
  message_id text NOT NULL,
  payload    text NOT NULL,
  PRIMARY KEY (sync, key)
);

-- The keys a run's model returned, until the run sweeps removed keys (pg-removed-keys.ts). A table
-- keyed by run id rather than a temporary table: the pool may hand each call another connection.
-- UNLOGGED: no WAL for rows that live one run; a server crash empties it, and a run cut short by
-- that never sweeps anyway.
CREATE UNLOGGED TABLE present_keys (
  run text NOT NULL,
  key text NOT NULL,
  PRIMARY KEY (run, key)
);
`;

// Token buckets shared by every process on the state (a destination's rate_limit across workers):
// tokens may go negative (a debt later callers wait out); updated_ms is the database's clock.
const rateBuckets = `
CREATE TABLE rate_buckets (
  key        text PRIMARY KEY,
  tokens     double precision NOT NULL,
  updated_ms bigint NOT NULL
);
`;

// Runs asked for through the queue wait in the history as `queued` (SPEC §6): at most one of each
// kind (dry or real) per sync, so requests made while one waits coalesce into it. A run can be asked
// to stop from another process (cancel_requested_at); a dry run kept in the history keeps its samples.
const runQueue = `
ALTER TABLE runs ADD COLUMN requested_at text;
ALTER TABLE runs ADD COLUMN cancel_requested_at text;
ALTER TABLE runs ADD COLUMN report text;
CREATE UNIQUE INDEX runs_queued ON runs (sync, dry_run) WHERE status = 'queued';
`;

// API tokens for `sluice serve` (pg-tokens.ts): only each token's SHA-256 is kept, never the token.
const apiTokens = `
CREATE TABLE api_tokens (
  name         text PRIMARY KEY,
  role         text NOT NULL,
  hash         text NOT NULL,
  created_at   text NOT NULL,
  last_used_at text
);
`;

// Schedule slots claimed once across processes (pg-schedule-slots.ts, SPEC §5): the primary key is
// what makes a claim win once; a sync's latest slot is the end of its key range. Times are ISO text.
const scheduleSlots = `
CREATE TABLE schedule_slots (
  sync       text NOT NULL,
  slot       text NOT NULL,
  outcome    text NOT NULL,
  run_id     text,
  reason     text,
  claimed_at text NOT NULL,
  PRIMARY KEY (sync, slot)
);
`;

// The inspector's HTTP exchanges (pg-exchanges.ts, SPEC §7): each one a JSON document, kept as text
// (jsonb would refuse a body's \u0000), in the order recorded; retention deletes them with their
// run's records (pg-retention.ts).
const exchanges = `
CREATE TABLE exchanges (
  seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_seq  bigint NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  exchange text NOT NULL
);
CREATE INDEX exchanges_by_run ON exchanges (run_seq, seq);
`;

// Alerts (pg-alerts.ts, SPEC §7), one row per alert from its raise to its resolve: the partial
// unique index allows one open alert per sync and rule, so of processes raising the same alert at
// once one inserts it. Notifications (pg-notifications.ts) wait in an outbox every process shares;
// the partial index finds the due pending ones. A run's writeback outcome (RunWriteback) sits on its
// run as JSON text. Figures are jsonb (numbers only); times are ISO text as everywhere.
const alertsAndNotifications = `
CREATE TABLE alerts (
  id               text PRIMARY KEY,
  sync             text NOT NULL,
  rule             text NOT NULL,
  kind             text NOT NULL,
  raised_at        text NOT NULL,
  raised_run_id    text NOT NULL,
  figures          jsonb NOT NULL,
  resolved_at      text,
  resolved_run_id  text,
  resolved_figures jsonb
);
CREATE UNIQUE INDEX alerts_open ON alerts (sync, rule) WHERE resolved_at IS NULL;
CREATE INDEX alerts_by_sync ON alerts (sync, id);
CREATE TABLE notifications (
  id              text PRIMARY KEY,
  target          text NOT NULL,
  type            text NOT NULL,
  body            text NOT NULL,
  created_at      text NOT NULL,
  state           text NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at text,
  last_attempt_at text,
  last_status     integer,
  last_error      text,
  delivered_at    text
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
ALTER TABLE runs ADD COLUMN writeback text;
`;

/** Every migration, in order. */
export const pgMigrations: readonly PgMigration[] = Object.freeze([
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'rate buckets', sql: rateBuckets },
  { version: 3, name: 'run queue', sql: runQueue },
  { version: 4, name: 'api tokens', sql: apiTokens },
  { version: 5, name: 'schedule slots', sql: scheduleSlots },
  { version: 6, name: 'exchanges', sql: exchanges },
  { version: 7, name: 'alerts and notifications', sql: alertsAndNotifications },
]);
