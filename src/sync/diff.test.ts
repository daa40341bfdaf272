// decide() as a table: every object behaviour × key state × --full-resync × --retry-abandoned, with
// the decision each must give, written out by hand from SPEC §3 ("Only what changed", "Nothing sent
// twice as different messages") rather than computed, so a change to any cell is a visible edit here.
import { describe, expect, it } from 'vitest';
import type { PendingChange } from '../state/state-store.js';
import { type Decision, type DiffContext, decide } from './diff.js';
import type { MappedRow } from './map.js';
import { deriveMessageId } from './message-id.js';

const NOW = 'hash-of-the-row-now';
const OTHER = 'hash-of-another-payload';
const PENDING_ID = 'sl-the-pending-change-id';
const FAILED_AT = '2026-01-02T03:04:05.000Z';

const row: MappedRow = {
  kind: 'ready',
  key: 'user-1',
  prepared: { ok: true, json: '{}', bytes: 2, hasTimestamp: false },
  hash: NOW,
  sourceHash: 'source-fingerprint',
};

function pending(hash: string, generation: number, abandoned = false): PendingChange {
  return {
    hash,
    messageId: PENDING_ID,
    generation,
    attempts: 2,
    firstFailedAt: FAILED_AT,
    lastError: '503',
    abandoned,
  };
}

function keyState(deliveredHash: string | null, generation: number, change: PendingChange | null) {
  return {
    key: row.key,
    deliveredHash,
    deliveredSourceHash: deliveredHash === null ? null : 'old-source-fingerprint',
    deliveredMessageId: deliveredHash === null ? null : 'sl-the-delivered-id',
    generation,
    pending: change,
    removed: false,
  };
}

/** The key states: what the state store holds for the row's key before the run. */
const STATES = {
  none: undefined,
  'delivered same hash': keyState(NOW, 3, null),
  'delivered other hash': keyState(OTHER, 3, null),
  'pending same hash': keyState(null, 1, pending(NOW, 1)),
  'pending other hash': keyState(null, 1, pending(OTHER, 1)),
  'pending same hash, abandoned': keyState(null, 1, pending(NOW, 1, true)),
  'pending other hash, abandoned': keyState(null, 1, pending(OTHER, 1, true)),
  // A change of a delivered key that failed, the row still as it was then.
  'delivered other, pending same': keyState(OTHER, 4, pending(NOW, 4)),
  // A change whose answer was lost, the row since back to what was delivered before.
  'delivered same, pending other': keyState(NOW, 4, pending(OTHER, 4)),
};
type StateName = keyof typeof STATES;
type Behaviour = DiffContext['behaviour'];

/**
 * An expected decision: `U` unchanged; `fresh` a new change under a freshly derived id (of the
 * generation given, with the payload hash in it for upserts); `pending` the pending change again
 * under its own id and generation, its failure count `kept` or `reset` (a revived abandoned change).
 */
type Expected =
  | 'U'
  | { id: 'fresh'; reason: 'new' | 'changed'; generation: number; durable: boolean }
  | { id: 'pending'; reason: 'new' | 'changed'; count: 'kept' | 'reset' };

const fresh = (reason: 'new' | 'changed', generation: number, durable = true): Expected => ({
  id: 'fresh',
  reason,
  generation,
  durable,
});
const again = (reason: 'new' | 'changed', count: 'kept' | 'reset' = 'kept'): Expected => ({
  id: 'pending',
  reason,
  count,
});

/**
 * Per behaviour and key state, the four flag combinations in the order
 * [neither, --retry-abandoned, --full-resync, both].
 */
const TABLE: Record<Behaviour, Record<StateName, [Expected, Expected, Expected, Expected]>> = {
  upsert: {
    // No state at all: the id carries the payload hash, so it needs no pending save (durable false).
    none: [fresh('new', 1, false), fresh('new', 1, false), fresh('new', 1, false), fresh('new', 1, false)],
    'delivered same hash': ['U', 'U', fresh('changed', 4), fresh('changed', 4)],
    'delivered other hash': [
      fresh('changed', 4),
      fresh('changed', 4),
      fresh('changed', 4),
      fresh('changed', 4),
    ],
    'pending same hash': [again('new'), again('new'), fresh('new', 2), fresh('new', 2)],
    'pending other hash': [fresh('new', 2), fresh('new', 2), fresh('new', 2), fresh('new', 2)],
    'pending same hash, abandoned': ['U', again('new', 'reset'), fresh('new', 2), fresh('new', 2)],
    // The row changed: the abandoned change is replaced by a new one, --retry-abandoned or not.
    'pending other hash, abandoned': [fresh('new', 2), fresh('new', 2), fresh('new', 2), fresh('new', 2)],
    'delivered other, pending same': [
      again('changed'),
      again('changed'),
      fresh('changed', 5),
      fresh('changed', 5),
    ],
    // Not unchanged: Segment may hold the pending payload, so the current one is sent again.
    'delivered same, pending other': [
      fresh('changed', 5),
      fresh('changed', 5),
      fresh('changed', 5),
      fresh('changed', 5),
    ],
  },
  // Events: one message per key, ever, under one id; --full-resync does not apply (the CLI refuses
  // it for event syncs), and decide ignores it.
  'send-once': {
    none: [fresh('new', 1), fresh('new', 1), fresh('new', 1), fresh('new', 1)],
    'delivered same hash': ['U', 'U', 'U', 'U'],
    'delivered other hash': ['U', 'U', 'U', 'U'],
    'pending same hash': [again('new'), again('new'), again('new'), again('new')],
    // An event edited before delivery keeps its one messageId.
    'pending other hash': [again('new'), again('new'), again('new'), again('new')],
    'pending same hash, abandoned': ['U', again('new', 'reset'), 'U', again('new', 'reset')],
    // An abandoned event is tried again, under its id, when its row changes.
    'pending other hash, abandoned': [
      again('new', 'reset'),
      again('new', 'reset'),
      again('new', 'reset'),
      again('new', 'reset'),
    ],
    'delivered other, pending same': ['U', 'U', 'U', 'U'],
    'delivered same, pending other': ['U', 'U', 'U', 'U'],
  },
};

const FLAGS = [
  { fullResync: false, retryAbandoned: false },
  { fullResync: false, retryAbandoned: true },
  { fullResync: true, retryAbandoned: false },
  { fullResync: true, retryAbandoned: true },
] as const;

/** The whole Decision an expectation stands for. */
function decision(expected: Expected, behaviour: Behaviour, stateName: StateName): Decision {
  if (expected === 'U') return { kind: 'unchanged' };
  if (expected.id === 'fresh') {
    const payloadHash = behaviour === 'upsert' ? NOW : undefined;
    return {
      kind: 'planned',
      reason: expected.reason,
      generation: expected.generation,
      messageId: deriveMessageId('ws-1', 'users-to-segment', row.key, expected.generation, payloadHash),
      retry: false,
      durable: expected.durable,
      attempts: 0,
      firstFailedAt: null,
    };
  }
  const change = STATES[stateName]!.pending!;
  return {
    kind: 'planned',
    reason: expected.reason,
    generation: change.generation,
    messageId: PENDING_ID,
    retry: true,
    durable: true,
    attempts: expected.count === 'kept' ? change.attempts : 0,
    firstFailedAt: expected.count === 'kept' ? change.firstFailedAt : null,
  };
}

const cases = (Object.keys(TABLE) as Behaviour[]).flatMap((behaviour) =>
  (Object.keys(STATES) as StateName[]).flatMap((stateName) =>
    FLAGS.map((flags, i) => ({ behaviour, stateName, ...flags, expected: TABLE[behaviour][stateName][i]! })),
  ),
);

describe('decide', () => {
  it('has a row for every behaviour × key state × flags', () => {
    expect(cases).toHaveLength(2 * Object.keys(STATES).length * FLAGS.length);
  });

  it.each(cases)(
    '$behaviour, $stateName, fullResync $fullResync, retryAbandoned $retryAbandoned',
    ({ behaviour, stateName, fullResync, retryAbandoned, expected }) => {
      const context: DiffContext = {
        workspaceId: 'ws-1',
        sync: 'users-to-segment',
        behaviour,
        fullResync,
        retryAbandoned,
      };
      expect(decide(row, STATES[stateName], context)).toEqual(decision(expected, behaviour, stateName));
    },
  );

  it('derives a fresh id from the key and generation, and for upserts from the payload too', () => {
    const context: DiffContext = {
      workspaceId: 'ws-1',
      sync: 'users-to-segment',
      behaviour: 'upsert',
      fullResync: false,
      retryAbandoned: false,
    };
    const a = decide(row, undefined, context);
    const b = decide({ ...row, hash: OTHER }, undefined, context);
    const event = decide(row, undefined, { ...context, behaviour: 'send-once' });
    const eventEdited = decide({ ...row, hash: OTHER }, undefined, { ...context, behaviour: 'send-once' });
    const ids = [a, b, event, eventEdited].map((d) => (d.kind === 'planned' ? d.messageId : null));
    // Two payloads of a user: two ids; an event's id ignores its payload.
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(ids[0]).not.toBe(ids[2]);
  });
});
