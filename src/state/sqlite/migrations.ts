/**
 * The SQLite state schema as numbered migrations, kept as TypeScript strings because `tsc` does not
 * copy `.sql` files into dist/. Append only: never edit a released migration, add the next number.
 *
 * The shape is meant to carry over to PostgreSQL unchanged in meaning: INTEGER PRIMARY KEY becomes an
 * identity column, the 0/1 INTEGER flags become booleans, `counts` (RunCounts as JSON, so a new count
 * needs no migration) becomes jsonb. Timestamps are ISO-8601 UTC text.
 */

/** One schema step, applied in a transaction and recorded in `schema_migrations`. */
export interface Migration {
  /** 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  sql: string;
}

const initial = `
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- seq gives insertion order: "newest first" is seq DESC, whatever clock the caller used.
CREATE TABLE runs (
  seq           INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL UNIQUE,
  sync          TEXT NOT NULL,
  status        TEXT NOT NULL,
  dry_run       INTEGER NOT NULL DEFAULT 0,
  full_resync   INTEGER NOT NULL,
  counts        TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  error_code    TEXT,
  error_message TEXT
);
CREATE INDEX runs_by_sync ON runs (sync, seq);

-- One row per planned or invalid row of a run. Both indexes end in the implicit rowid (seq), so a
-- run's records come back in insertion order with or without a status filter, without a sort.
CREATE TABLE run_records (
  seq        INTEGER PRIMARY KEY,
  run_seq    INTEGER NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  key        TEXT,
  status     TEXT NOT NULL,
  reason     TEXT,
  message    TEXT,
  message_id TEXT,
  payload    TEXT
);
CREATE INDEX run_records_by_run ON run_records (run_seq);
CREATE INDEX run_records_by_run_status ON run_records (run_seq, status);

-- Per sync and key: what was last delivered, and the change planned but not yet delivered.
-- A rowid table on purpose: WITHOUT ROWID stores the payload inside the primary-key b-tree and
-- measured 8x slower on delivery upserts with ~400-byte payloads.
CREATE TABLE key_states (
  sync                 TEXT NOT NULL,
  key                  TEXT NOT NULL,
  generation           INTEGER NOT NULL DEFAULT 0,
  delivered_hash       TEXT,
  delivered_payload    TEXT,
  delivered_message_id TEXT,
  delivered_at         TEXT,
  pending_hash         TEXT,
  pending_message_id   TEXT,
  pending_generation   INTEGER,
  attempts             INTEGER NOT NULL DEFAULT 0,
  first_failed_at      TEXT,
  last_error           TEXT,
  abandoned            INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sync, key)
);
`;

// Named leases: "one run of a sync at a time" across processes sharing this file. expires_at is
// epoch milliseconds so comparisons need no date parsing.
const locks = `
CREATE TABLE locks (
  name       TEXT PRIMARY KEY,
  holder_id  TEXT NOT NULL,
  host       TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  label      TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

// The delivered payload is kept once, in the run record of the delivery (the message as sent),
// instead of a second ~400-byte copy per key: key_states points at that record. delivered_payload
// stays for rows written before this migration and is no longer written.
const deliveredRecord = `
ALTER TABLE key_states ADD COLUMN delivered_record INTEGER;
`;

// The source row's fingerprint next to the delivered hash: a run skips mapping rows that still
// have it, which is most of the work of a run where little changed.
const deliveredSourceHash = `
ALTER TABLE key_states ADD COLUMN delivered_source_hash TEXT;
`;

// Run records a batch to a row (record-batch.ts): one row per recorded batch instead of one per
// message. Old records move over as one-record batches under their own seq, so a key_states
// pointer (delivered_record) stays valid with index 0; a one-record batch's payload is the whole
// `payloads` text, so lengths counted by SQLite (code points) never have to cut it.
const recordBatches = `
CREATE TABLE record_batches (
  seq      INTEGER PRIMARY KEY,
  run_seq  INTEGER NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  statuses TEXT NOT NULL,
  records  TEXT NOT NULL,
  payloads TEXT
);
CREATE INDEX record_batches_by_run ON record_batches (run_seq, seq);
INSERT INTO record_batches (seq, run_seq, statuses, records, payloads)
  SELECT seq, run_seq, ',' || status || ',',
         json_array(json_array(key, status, reason, message, message_id,
                               CASE WHEN payload IS NULL THEN -1 ELSE 0 END)),
         payload
  FROM run_records ORDER BY seq;
DROP TABLE run_records;
ALTER TABLE key_states ADD COLUMN delivered_record_index INTEGER;
`;

// Keys found absent from their model are reported once (sqlite-removed-keys.ts): the flag stays
// until the key is back. The partial index finds the few flagged keys without scanning the sync.
const removedKeys = `
ALTER TABLE key_states ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX key_states_removed ON key_states (sync, key) WHERE removed = 1;
`;

// Retention (`sluice prune`, SPEC §7): a pruned run's record batches are deleted, but a key's last
// delivered message is kept: payloads still pointed at by key_states move here first (one per key,
// valid while message_id is the key's delivered_message_id). A table of its own, not
// key_states.delivered_payload, so the rows the diff probes on every run stay narrow.
// records_pruned_at marks runs whose records are gone, so a prune skips them and a reader can say why.
const retention = `
CREATE TABLE kept_payloads (
  sync       TEXT NOT NULL,
  key        TEXT NOT NULL,
  message_id TEXT NOT NULL,
  payload    TEXT NOT NULL,
  PRIMARY KEY (sync, key)
);
ALTER TABLE runs ADD COLUMN records_pruned_at TEXT;
`;

// Destination rate limits shared by every process on the state (sqlite-rate-buckets.ts): one row
// per bucket, its tokens as of updated_ms (negative: debt that later callers wait out).
const rateBuckets = `
CREATE TABLE rate_buckets (
  key        TEXT PRIMARY KEY,
  tokens     REAL NOT NULL,
  updated_ms INTEGER NOT NULL
);
`;

// A key's history across runs (StateStore.runs.keyHistory): records are packed a batch to a row, so
// each record with a key gets an entry here pointing at it, written with its batch. WITHOUT ROWID:
// the entry is its primary key, and a key's entries sit together. The sync is found through the
// batch's run (few keys are shared between syncs). Existing batches are indexed here, once.
const recordKeys = `
CREATE TABLE record_keys (
  key   TEXT NOT NULL,
  batch INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  PRIMARY KEY (key, batch, idx)
) WITHOUT ROWID;
INSERT INTO record_keys (key, batch, idx)
  SELECT j.value ->> 0, b.seq, CAST(j.key AS INTEGER) FROM record_batches b, json_each(b.records) j
  WHERE j.value ->> 0 IS NOT NULL;
`;

// Runs asked for through a queue wait in the history as `queued` (SPEC §6): at most one of each kind
// (dry or real) per sync, so requests made while one waits coalesce into it. A run can be asked to
// stop from elsewhere (cancel_requested_at), and a dry run kept in the history keeps its samples.
const runQueue = `
ALTER TABLE runs ADD COLUMN requested_at TEXT;
ALTER TABLE runs ADD COLUMN cancel_requested_at TEXT;
ALTER TABLE runs ADD COLUMN report TEXT;
CREATE UNIQUE INDEX runs_queued ON runs (sync, dry_run) WHERE status = 'queued';
CREATE INDEX runs_by_status ON runs (status, seq);
`;

// API tokens for `sluice serve` (sqlite-tokens.ts): only each token's SHA-256 is kept, never the
// token. last_used_at is written at most about once a minute per token (sluice/api-tokens.ts).
const apiTokens = `
CREATE TABLE api_tokens (
  name         TEXT PRIMARY KEY,
  role         TEXT NOT NULL,
  hash         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_used_at TEXT
);
`;

// Schedule slots claimed once across processes (sqlite-schedule-slots.ts, SPEC §5): the primary key
// is what makes a claim win once. WITHOUT ROWID: a sync's slots sit together in slot order, and its
// latest is the end of its key range.
const scheduleSlots = `
CREATE TABLE schedule_slots (
  sync       TEXT NOT NULL,
  slot       TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  run_id     TEXT,
  reason     TEXT,
  claimed_at TEXT NOT NULL,
  PRIMARY KEY (sync, slot)
) WITHOUT ROWID;
`;

// The inspector's HTTP exchanges (sqlite-exchanges.ts, SPEC §7): each one a JSON document, kept in
// the order recorded; retention deletes them with their run's records (sqlite-retention.ts).
const exchanges = `
CREATE TABLE exchanges (
  seq      INTEGER PRIMARY KEY,
  run_seq  INTEGER NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  exchange TEXT NOT NULL
);
CREATE INDEX exchanges_by_run ON exchanges (run_seq, seq);
`;

// Alerts (sqlite-alerts.ts, SPEC §7): one row per alert, from its raise to its resolve. The partial
// unique index allows one open alert per sync and rule, so a raise inserts once even when two
// processes evaluate the same run. Notifications (sqlite-notifications.ts) wait in an outbox shared
// by every process; the partial index finds the due pending ones without scanning delivered history.
// A run's writeback outcome (RunWriteback as JSON) sits on its run.
const alertsAndNotifications = `
CREATE TABLE alerts (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  sync             TEXT NOT NULL,
  rule             TEXT NOT NULL,
  kind             TEXT NOT NULL,
  raised_at        TEXT NOT NULL,
  raised_run_id    TEXT NOT NULL,
  figures          TEXT NOT NULL,
  resolved_at      TEXT,
  resolved_run_id  TEXT,
  resolved_figures TEXT
);
CREATE UNIQUE INDEX alerts_open ON alerts (sync, rule) WHERE resolved_at IS NULL;
CREATE INDEX alerts_by_sync ON alerts (sync, id);
CREATE TABLE notifications (
  id              TEXT PRIMARY KEY,
  target          TEXT NOT NULL,
  type            TEXT NOT NULL,
  body            TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_attempt_at TEXT,
  last_status     INTEGER,
  last_error      TEXT,
  delivered_at    TEXT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
ALTER TABLE runs ADD COLUMN writeback TEXT;
`;

/** Every migration, in order. */
export const sqliteMigrations: readonly Migration[] = Object.freeze([
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'locks', sql: locks },
  { version: 3, name: 'delivered record', sql: deliveredRecord },
  { version: 4, name: 'delivered source hash', sql: deliveredSourceHash },
  { version: 5, name: 'record batches', sql: recordBatches },
  { version: 6, name: 'removed keys', sql: removedKeys },
  { version: 7, name: 'retention', sql: retention },
  { version: 8, name: 'rate buckets', sql: rateBuckets },
  { version: 9, name: 'record keys', sql: recordKeys },
  { version: 10, name: 'run queue', sql: runQueue },
  { version: 11, name: 'api tokens', sql: apiTokens },
  { version: 12, name: 'schedule slots', sql: scheduleSlots },
  { version: 13, name: 'exchanges', sql: exchanges },
  { version: 14, name: 'alerts and notifications', sql: alertsAndNotifications },
]);
