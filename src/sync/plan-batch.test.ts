// planBatch as a table: one batch of rows, what the detector found, and the plan each must give —
// written out by hand (which rows are invalid, unchanged, refreshed, remembered, planned and how),
// so a change to any decision is a visible edit here. Real mapper and destination validation (the
// jsonl-file destination's prepare, which touches no file), no state store: planBatch has no I/O.
import { describe, expect, it } from 'vitest';
import { fileDestination, sourceRow, testMapper } from '../../test/helpers/pipe-parts.js';
import { emptyCounts } from '../core/run.js';
import type { Row } from '../core/values.js';
import type { KeyState, PendingChange } from '../state/state-store.js';
import type { Detection } from './detect-changes.js';
import type { DiffContext } from './diff.js';
import { keyBatch } from './key-batch.js';
import type { MappedRow, RowMapper } from './map.js';
import { deriveMessageId } from './message-id.js';
import { type BatchPlan, countPlan, planBatch } from './plan-batch.js';

const destination = fileDestination('/nonexistent/never-written.jsonl');
const MAPPERS: Record<'user' | 'event', RowMapper> = {
  user: testMapper('user', destination),
  event: testMapper('event', destination),
};
const row = sourceRow;

/** The row as mapped: its message hash and fingerprint, what the state store would remember. */
function mapped(id: string, email: string, object: 'user' | 'event' = 'user'): MappedRow {
  return MAPPERS[object].mapRow(row(id, email)) as MappedRow;
}

const PENDING_ID = 'sl-the-pending-change-id';

function pending(hash: string, generation: number, abandoned = false): PendingChange {
  return {
    hash,
    messageId: PENDING_ID,
    generation,
    attempts: 2,
    firstFailedAt: '2026-01-02T03:04:05.000Z',
    lastError: '503',
    abandoned,
  };
}

function state(
  key: string,
  delivered: { hash: string; sourceHash: string } | null,
  generation: number,
  change: PendingChange | null = null,
): KeyState {
  return {
    key,
    deliveredHash: delivered?.hash ?? null,
    deliveredSourceHash: delivered?.sourceHash ?? null,
    deliveredMessageId: delivered === null ? null : 'sl-the-delivered-id',
    generation,
    pending: change,
    removed: false,
  };
}

const nothingFound = (states: KeyState[] = []): Detection => ({
  unchanged: new Set(),
  states: new Map(states.map((s) => [s.key, s])),
});

const HUGE = 'x'.repeat(70 * 1024);
const BEFORE = mapped('u1', 'a@example.com');
const OTHER = mapped('u1', 'old@example.com');
const EVENT = mapped('e1', 'a@example.com', 'event');

interface Case {
  rows: () => Row[];
  found: Detection;
  object?: 'user' | 'event';
  context?: Partial<DiffContext>;
  /** Each invalid row as `key:reason`, planned row as `key reason g<generation>[ retry]`. */
  want: { invalid?: string[]; unchanged: number; refreshed?: string[]; seen?: string[]; planned?: string[] };
}

const CASES: Record<string, Case> = {
  'unchanged by fingerprint: counted, not even mapped': {
    rows: () => [row('u1', HUGE)],
    found: { unchanged: new Set(['u1']), states: new Map() },
    want: { unchanged: 1 },
  },
  'unchanged after mapping again: the new fingerprint refreshed': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', { hash: BEFORE.hash, sourceHash: 'an-older-fingerprint' }, 3)]),
    want: { unchanged: 1, refreshed: ['u1'] },
  },
  'unchanged, fingerprint already known: nothing to refresh': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', BEFORE, 3)]),
    want: { unchanged: 1 },
  },
  'a key never seen is new, generation 1': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound(),
    want: { unchanged: 0, planned: ['u1 new g1'] },
  },
  'a delivered key with another payload is changed, next generation': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', OTHER, 3)]),
    want: { unchanged: 0, planned: ['u1 changed g4'] },
  },
  'a pending change with the same payload is retried under its id': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', null, 1, pending(BEFORE.hash, 1))]),
    want: { unchanged: 0, planned: ['u1 new g1 retry'] },
  },
  'an abandoned change with the same payload waits': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', null, 1, pending(BEFORE.hash, 1, true))]),
    want: { unchanged: 1 },
  },
  'an abandoned change is retried with --retry-abandoned': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', null, 1, pending(BEFORE.hash, 1, true))]),
    context: { retryAbandoned: true },
    want: { unchanged: 0, planned: ['u1 new g1 retry'] },
  },
  'an event delivered once is never sent again, whatever its payload': {
    rows: () => [row('e1', 'edited@example.com')],
    found: nothingFound([state('e1', EVENT, 1)]),
    object: 'event',
    context: { behaviour: 'send-once' },
    want: { unchanged: 1 },
  },
  'a new event is planned': {
    rows: () => [row('e1', 'a@example.com')],
    found: nothingFound(),
    object: 'event',
    context: { behaviour: 'send-once' },
    want: { unchanged: 0, planned: ['e1 new g1'] },
  },
  'a pending event keeps its one id though its row was edited': {
    rows: () => [row('e1', 'edited@example.com')],
    found: nothingFound([state('e1', null, 1, pending(EVENT.hash, 1))]),
    object: 'event',
    context: { behaviour: 'send-once' },
    want: { unchanged: 0, planned: ['e1 new g1 retry'] },
  },
  'a baseline remembers its rows without sending them': {
    rows: () => [row('e1', 'a@example.com'), row('e2', 'b@example.com')],
    found: { unchanged: new Set(), states: null },
    object: 'event',
    context: { behaviour: 'send-once' },
    want: { unchanged: 2, seen: ['e1', 'e2'] },
  },
  'a baseline row that fails mapping is invalid, not remembered': {
    rows: () => [row('e1', HUGE)],
    found: { unchanged: new Set(), states: null },
    object: 'event',
    context: { behaviour: 'send-once' },
    want: { unchanged: 0, invalid: ['e1:message_too_large'] },
  },
  'invalid rows: no key, a duplicate key, a message too large; the others go on': {
    rows: () => [
      row(null, 'a@example.com'),
      row('u1', 'a@example.com'),
      row('u2', 'b@example.com', 2),
      row('u2', 'c@example.com', 2),
      row('u3', HUGE),
      row('u4', 'd@example.com'),
    ],
    found: nothingFound(),
    want: {
      unchanged: 0,
      invalid: ['null:null_key', 'u2:duplicate_key', 'u2:duplicate_key', 'u3:message_too_large'],
      planned: ['u1 new g1', 'u4 new g1'],
    },
  },
  '--full-resync sends an unchanged row again as a new change': {
    rows: () => [row('u1', 'a@example.com')],
    found: nothingFound([state('u1', BEFORE, 3)]),
    context: { fullResync: true },
    want: { unchanged: 0, planned: ['u1 changed g4'] },
  },
  'a mixed batch keeps source order': {
    rows: () => [row('u0', 'z@example.com'), row('u1', 'a@example.com'), row('u2', 'b@example.com')],
    found: { unchanged: new Set(['u2']), states: new Map([['u1', state('u1', OTHER, 3)]]) },
    want: { unchanged: 1, planned: ['u0 new g1', 'u1 changed g4'] },
  },
};

function plan(test: Case): BatchPlan {
  const object = test.object ?? 'user';
  const mapper = MAPPERS[object];
  const context: DiffContext = {
    workspaceId: 'ws',
    sync: 'users',
    behaviour: 'upsert',
    fullResync: false,
    retryAbandoned: false,
    ...test.context,
  };
  return planBatch(keyBatch(test.rows(), mapper), test.found, mapper, context);
}

describe('planBatch', () => {
  it.each(Object.entries(CASES))('%s', (_, test) => {
    const result = plan(test);
    expect({
      invalid: result.invalid.map((r) => `${r.key}:${r.reason}`),
      unchanged: result.unchanged,
      refreshed: result.refreshed.map((r) => r.key),
      seen: result.seen.map((r) => r.key),
      planned: result.planned.map(
        ({ row, decision }) =>
          `${row.key} ${decision.reason} g${decision.generation}${decision.retry ? ' retry' : ''}`,
      ),
    }).toEqual({ invalid: [], refreshed: [], seen: [], planned: [], ...test.want });
    const reasons = { new: 0, changed: 0 };
    for (const { decision } of result.planned) reasons[decision.reason]++;
    expect(result.reasons).toEqual(reasons);
  });

  it('remembers what a baseline row and a refreshed row hold: their message hash and fingerprint', () => {
    const seen = plan(CASES['a baseline remembers its rows without sending them']!).seen[0];
    expect(seen).toEqual({ key: 'e1', hash: EVENT.hash, sourceHash: EVENT.sourceHash });
    const refreshed = plan(CASES['unchanged after mapping again: the new fingerprint refreshed']!)
      .refreshed[0];
    expect(refreshed).toEqual({ key: 'u1', hash: BEFORE.hash, sourceHash: BEFORE.sourceHash });
  });

  it('gives a new change its derived id and a retry the pending one', () => {
    const changed = plan(CASES['a delivered key with another payload is changed, next generation']!)
      .planned[0]!;
    expect(changed.decision).toMatchObject({
      messageId: deriveMessageId('ws', 'users', 'u1', 4, BEFORE.hash),
      durable: true,
      attempts: 0,
    });
    expect(changed.row).toMatchObject({ key: 'u1', hash: BEFORE.hash, sourceHash: BEFORE.sourceHash });
    const retried = plan(CASES['a pending change with the same payload is retried under its id']!)
      .planned[0]!;
    expect(retried.decision).toMatchObject({ messageId: PENDING_ID, attempts: 2, durable: true });
    // A user key with no state at all needs no pending change before it is sent (Decision.durable).
    expect(plan(CASES['a key never seen is new, generation 1']!).planned[0]!.decision.durable).toBe(false);
  });

  it('keeps a mapping failure with its mapped payload, for sluice records', () => {
    const [failure] = plan(CASES['a baseline row that fails mapping is invalid, not remembered']!).invalid;
    expect(failure?.payload).toContain(HUGE);
  });

  it('leaves the keyed batch as it was', () => {
    const batch = keyBatch([row(null, 'a@example.com'), row('u3', HUGE)], MAPPERS.user);
    planBatch(batch, nothingFound(), MAPPERS.user, {
      workspaceId: 'ws',
      sync: 'users',
      behaviour: 'upsert',
      fullResync: false,
      retryAbandoned: false,
    });
    expect(batch.invalid.map((r) => r.reason)).toEqual(['null_key']);
  });
});

describe('countPlan', () => {
  it('adds a plan to the run counts, deliveries left to the executor', () => {
    const counts = emptyCounts();
    countPlan(
      counts,
      plan(CASES['invalid rows: no key, a duplicate key, a message too large; the others go on']!),
    );
    countPlan(counts, plan(CASES['a mixed batch keeps source order']!));
    expect(counts).toEqual({ ...emptyCounts(), invalid: 4, unchanged: 1, planned: 4, new: 3, changed: 1 });
  });
});

describe('keyBatch', () => {
  it('keeps keys and fingerprints in step with the keyed rows, invalid rows aside', () => {
    const batch = keyBatch(
      [row('u1', 'a@example.com'), row(' ', 'b@example.com'), row('u2', 'c')],
      MAPPERS.user,
    );
    expect(batch.keys).toEqual(['u1', 'u2']);
    expect(batch.rows.map((r) => r.key)).toEqual(['u1', 'u2']);
    expect(batch.sourceHashes).toEqual(batch.rows.map((r) => MAPPERS.user.fingerprint(r)));
    expect(batch.sourceHashes[0]).toBe(BEFORE.sourceHash);
    expect(batch.invalid.map((r) => r.reason)).toEqual(['null_key']);
  });
});
