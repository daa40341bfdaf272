// The dry-run executor: the same plans as a real run, nothing executed — it keeps samples of planned
// and invalid rows (up to the limit, the rest counted as not shown) and writes and sends nothing.
// A real SQLite state store and jsonl-file destination; plans from keyBatch and planBatch.
import { access } from 'node:fs/promises';
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
import { destinationType } from '../destinations/registry.js';
import type { StateStore } from '../state/state-store.js';
import type { Detection } from './detect-changes.js';
import { DryRunExecutor } from './dry-run-plan.js';
import { keyBatch } from './key-batch.js';
import type { RowMapper } from './map.js';
import { type BatchPlan, countPlan, planBatch } from './plan-batch.js';
import { stopSignals } from './stop-signals.js';

const sync = testSync();
const descriptor = destinationType('jsonl-file')!.objects.user;
let parts: Awaited<ReturnType<typeof tempStateStore>>;
let store: StateStore;
let destination: Destination;
let mapper: RowMapper;
let file: string;

beforeEach(async () => {
  parts = await tempStateStore();
  store = parts.store;
  file = join(parts.dir, 'sent.jsonl');
  destination = fileDestination(file);
  mapper = testMapper('user', destination);
});
afterEach(async () => {
  await parts.close();
});

function executor(options: { sampleLimit?: number; signal?: AbortSignal } = {}) {
  return new DryRunExecutor({
    state: store,
    sync: sync.name,
    destination,
    descriptor,
    now: () => new Date('2026-03-04T05:06:07.000Z'),
    stop: stopSignals(options),
    sampleLimit: options.sampleLimit ?? 10,
    progress: () => {},
  });
}

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

describe('DryRunExecutor', () => {
  it('shows planned rows exactly as they would be sent, with the fields that changed', async () => {
    // u1 was delivered with another email.
    const runId = await store.runs.start({
      sync: sync.name,
      fullResync: false,
      startedAt: new Date().toISOString(),
    });
    await store.ledger.savePlanned(sync.name, [
      { key: 'u1', hash: 'h-old', messageId: 'm-old', generation: 1 },
    ]);
    await store.ledger.recordDeliveries(sync.name, runId, [
      {
        key: 'u1',
        hash: 'h-old',
        sourceHash: 'old',
        generation: 1,
        messageId: 'm-old',
        payload: JSON.stringify({
          object: 'user',
          id: 'u1',
          data: { email: 'old@example.com' },
          messageId: 'm-old',
        }),
        reason: 'new',
        status: 'succeeded',
        error: null,
      },
    ]);
    const counts = emptyCounts();
    const dry = executor();
    const found: Detection = {
      unchanged: new Set(),
      states: await store.ledger.keyStates(sync.name, ['u1']),
    };
    const batch = plan([sourceRow('u1', 'a@example.com'), sourceRow('u2', 'b@example.com')], found, counts);
    expect(await dry.execute(batch)).toBe(true);
    await dry.finish();
    const report = dry.report(counts);
    expect(report.samples).toEqual([
      {
        key: 'u1',
        reason: 'changed',
        changed_fields: ['data.email'],
        message: {
          object: 'user',
          id: 'u1',
          data: { email: 'a@example.com' },
          messageId: batch.planned[0]!.decision.messageId,
          plannedAt: '2026-03-04T05:06:07.000Z',
        },
      },
      expect.objectContaining({ key: 'u2', reason: 'new', changed_fields: [] }),
    ]);
    expect(report.not_shown).toEqual({ planned: 0, invalid: 0 });
  });

  it('keeps up to the limit of samples across batches and counts the rest as not shown', async () => {
    const counts = emptyCounts();
    const dry = executor({ sampleLimit: 2 });
    await dry.execute(
      plan([sourceRow(null, 'x'), sourceRow('u1', 'a'), sourceRow('u2', 'b')], nothingKnown, counts),
    );
    await dry.execute(
      plan([sourceRow('u3', 'c', 2), sourceRow('u3', 'd', 2), sourceRow('u4', 'e')], nothingKnown, counts),
    );
    const report = dry.report(counts);
    expect(report.samples?.map((s) => s.key)).toEqual(['u1', 'u2']);
    expect(report.invalid_samples).toEqual([
      {
        key: null,
        reason: 'null_key',
        detail: 'the key column "id" is null (NaN, Infinity and infinite dates read as null too)',
      },
      { key: 'u3', reason: 'duplicate_key', detail: expect.stringContaining('2 rows share the key "u3"') },
    ]);
    expect(report.not_shown).toEqual({ planned: 1, invalid: 1 });
  });

  it('writes and sends nothing: no key state, no records, no file', async () => {
    const counts = emptyCounts();
    const dry = executor();
    await dry.execute(plan([sourceRow(null, 'x'), sourceRow('u1', 'a')], nothingKnown, counts));
    await dry.execute(plan([sourceRow('e1', 'e')], { unchanged: new Set(), states: null }, counts));
    await dry.finish();
    expect(await store.ledger.countKeys(sync.name)).toEqual({ keys: 0, removed: 0 });
    expect((await store.runs.list({ limit: 10 })).items).toEqual([]);
    await expect(access(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says interrupted at the end of a run stopped gracefully', async () => {
    const stop = new AbortController();
    const dry = executor({ signal: stop.signal });
    await dry.finish();
    stop.abort();
    await expect(dry.finish()).rejects.toMatchObject({ code: 'interrupted' });
  });
});
