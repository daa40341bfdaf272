// The sending executor against a real SQLite state store and a real jsonl-file destination: what it
// writes and sends for a plan, in which order (durable before sent), what it counts, and how it
// stops. Plans come from the stages before it (keyBatch, planBatch), as in a run.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fileDestination,
  sourceRow,
  tempStateStore,
  testMapper,
  testSync,
} from '../../test/helpers/pipe-parts.js';
import { emptyCounts, type RunCounts } from '../core/run.js';
import type { Row } from '../core/values.js';
import type { Destination } from '../destinations/destination.js';
import type { StateStore } from '../state/state-store.js';
import type { Detection } from './detect-changes.js';
import { SendingExecutor } from './execute-plan.js';
import { keyBatch } from './key-batch.js';
import type { RowMapper } from './map.js';
import { type BatchPlan, countPlan, planBatch } from './plan-batch.js';
import { RetryWaits } from './retry-waits.js';
import type { FaultPoint } from './run-sync.js';
import { stopSignals } from './stop-signals.js';

const sync = testSync();
let parts: Awaited<ReturnType<typeof tempStateStore>>;
let store: StateStore;
let destination: Destination;
let mapper: RowMapper;
let file: string;
let runId: string;

beforeEach(async () => {
  parts = await tempStateStore();
  store = parts.store;
  file = join(parts.dir, 'sent.jsonl');
  destination = fileDestination(file);
  mapper = testMapper('user', destination);
  runId = await store.runs.start({ sync: sync.name, fullResync: false, startedAt: new Date().toISOString() });
});
afterEach(async () => {
  await parts.close();
});

/** The executor of one run, with what it reports on the side. */
function executor(options: { signal?: AbortSignal } = {}) {
  const counts = emptyCounts();
  const points: FaultPoint[] = [];
  let progressed = 0;
  const sending = new SendingExecutor({
    state: store,
    sync,
    runId,
    destination,
    counts,
    now: () => new Date('2026-03-04T05:06:07.000Z'),
    stop: stopSignals(options),
    retries: new RetryWaits(),
    progress: () => progressed++,
    onFaultPoint: (point) => points.push(point),
  });
  return { sending, counts, points, progressed: () => progressed };
}

/** A batch planned as a run plans it, counted into `counts`. */
function plan(rows: Row[], found: Detection, counts: RunCounts): BatchPlan {
  const planned = planBatch(keyBatch(rows, mapper), found, mapper, {
    workspaceId: 'ws',
    sync: sync.name,
    behaviour: 'upsert',
    fullResync: false,
    retryAbandoned: false,
  });
  countPlan(counts, planned);
  return planned;
}

const nothingKnown: Detection = { unchanged: new Set(), states: new Map() };

async function sentLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('SendingExecutor', () => {
  it('sends the planned rows, records their outcomes and counts them once recorded', async () => {
    const { sending, counts, points } = executor();
    const batch = plan(
      [sourceRow('u1', 'a@example.com'), sourceRow('u2', 'b@example.com')],
      nothingKnown,
      counts,
    );
    expect(await sending.execute(batch)).toBe(true);
    await sending.finish();
    expect((await sentLines()).map((line) => [line.id, line.messageId])).toEqual(
      batch.planned.map(({ row, decision }) => [row.key, decision.messageId]),
    );
    expect(counts).toMatchObject({ planned: 2, new: 2, succeeded: 2, failed: 0 });
    expect(points).toEqual(['planned', 'sent']);
    const states = await store.ledger.keyStates(sync.name, ['u1', 'u2']);
    expect(states.get('u1')).toMatchObject({
      deliveredHash: batch.planned[0]!.row.hash,
      deliveredSourceHash: batch.planned[0]!.row.sourceHash,
      generation: 1,
      pending: null,
    });
    expect((await store.runs.records(runId, { status: 'succeeded', limit: 10 })).items).toHaveLength(2);
  });

  it('saves a change as pending before it is sent (durable before sent)', async () => {
    // u1 delivered before with another payload: its change must be durable.
    await store.ledger.markSeen(sync.name, [{ key: 'u1', hash: 'an-older-hash', sourceHash: 'older' }]);
    const counts = emptyCounts();
    const atPlanned: unknown[] = [];
    const sending = new SendingExecutor({
      state: store,
      sync,
      runId,
      destination,
      counts,
      now: () => new Date(),
      stop: stopSignals({}),
      retries: new RetryWaits(),
      progress: () => {},
      onFaultPoint: (point) => {
        if (point !== 'planned') return;
        atPlanned.push(store.ledger.keyStates(sync.name, ['u1']), sentLines());
      },
    });
    const found: Detection = {
      unchanged: new Set(),
      states: await store.ledger.keyStates(sync.name, ['u1']),
    };
    const batch = plan([sourceRow('u1', 'a@example.com')], found, counts);
    expect(batch.planned[0]!.decision).toMatchObject({ reason: 'changed', durable: true });
    await sending.execute(batch);
    await sending.finish();
    const [states, lines] = (await Promise.all(atPlanned)) as [Map<string, unknown>, unknown[]];
    expect(states.get('u1')).toMatchObject({
      pending: { messageId: batch.planned[0]!.decision.messageId, hash: batch.planned[0]!.row.hash },
    });
    expect(lines).toEqual([]);
    expect((await sentLines()).map((line) => line.id)).toEqual(['u1']);
  });

  it('records invalid rows, remembers a baseline and refreshes fingerprints, sending none of them', async () => {
    const { sending, counts } = executor();
    const refreshedRow = mapper.mapRow(sourceRow('u3', 'c@example.com'));
    if (refreshedRow.kind !== 'ready') throw new Error('u3 maps');
    await store.ledger.markSeen(sync.name, [
      { key: 'u3', hash: refreshedRow.hash, sourceHash: 'an-older-fingerprint' },
    ]);
    const found: Detection = {
      unchanged: new Set(),
      states: await store.ledger.keyStates(sync.name, ['u3']),
    };
    const first = plan([sourceRow(null, 'x'), sourceRow('u3', 'c@example.com')], found, counts);
    expect(first.refreshed).toHaveLength(1);
    await sending.execute(first);
    const baseline = plan([sourceRow('e1', 'e@example.com')], { unchanged: new Set(), states: null }, counts);
    await sending.execute(baseline);
    await sending.finish();

    expect(await sentLines()).toEqual([]);
    expect((await store.runs.records(runId, { status: 'invalid', limit: 10 })).items).toMatchObject([
      { key: null, reason: 'null_key' },
    ]);
    const states = await store.ledger.keyStates(sync.name, ['u3', 'e1']);
    expect(states.get('u3')?.deliveredSourceHash).toBe(refreshedRow.sourceHash);
    expect(states.get('e1')).toMatchObject({
      deliveredHash: baseline.seen[0]!.hash,
      deliveredSourceHash: baseline.seen[0]!.sourceHash,
      deliveredMessageId: null,
    });
    expect(counts).toMatchObject({ invalid: 1, unchanged: 2, planned: 0, succeeded: 0 });
  });

  it('after a graceful stop sends no more: the next plan stays unsent, and finish says interrupted', async () => {
    const stop = new AbortController();
    const { sending, counts } = executor({ signal: stop.signal });
    await sending.execute(plan([sourceRow('u1', 'a@example.com')], nothingKnown, counts));
    stop.abort();
    expect(await sending.execute(plan([sourceRow('u2', 'b@example.com')], nothingKnown, counts))).toBe(false);
    await expect(sending.finish()).rejects.toMatchObject({ code: 'interrupted' });
    await sending.abandon();
    // The first batch was handed to the loader before the stop, but a batch is only sent when full
    // or by finish: a stopped run leaves the partial batch unsent (pending where it must be).
    expect(await sentLines()).toEqual([]);
    expect((await store.ledger.keyStates(sync.name, ['u2'])).size).toBe(0);
  });

  it('tells progress of each batch and each recorded answer', async () => {
    const { sending, counts, progressed } = executor();
    await sending.execute(plan([sourceRow('u1', 'a@example.com')], nothingKnown, counts));
    await sending.execute(
      plan([sourceRow('u2', 'b@example.com')], { unchanged: new Set(['u2']), states: new Map() }, counts),
    );
    expect(progressed()).toBe(2);
    await sending.finish();
    expect(progressed()).toBe(3);
  });
});
