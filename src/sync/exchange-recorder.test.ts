import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../destinations/destination.js';
import { openStateStore } from '../state/registry.js';
import type { StateStore } from '../state/state-store.js';
import { ExchangeRecorder } from './exchange-recorder.js';

const exchange = (status: number): Exchange => ({
  method: 'POST',
  url: 'http://127.0.0.1:1/v1/batch',
  requestHeaders: { authorization: '[secret]' },
  requestBody: `{"batch":[{"messageId":"m-${status}"}]}`,
  status,
  responseHeaders: {},
  responseBody: '{}',
  latencyMs: 1,
  attempt: 1,
});

const stores: StateStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function storeWithRun() {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-recorder-'));
  dirs.push(dir);
  const store = await openStateStore({ kind: 'sqlite', path: join(dir, 'state.db') });
  stores.push(store);
  const runId = await store.runs.start({
    sync: 's',
    fullResync: false,
    startedAt: '2026-12-06T10:00:00.000Z',
  });
  return { store, runId };
}

describe('ExchangeRecorder', () => {
  it('writes kept exchanges in batches as they come, and the rest on flush', async () => {
    const { store, runId } = await storeWithRun();
    const recorder = new ExchangeRecorder({ state: store, runId, sync: 's', batchSize: 2 });
    for (const status of [500, 200, 503]) recorder.take(exchange(status));
    await recorder.flush();
    const page = await store.exchanges.list(runId, { limit: 10 });
    expect(page.items.map((e) => [e.status, e.messageIds])).toEqual([
      [500, ['m-500']],
      [200, ['m-200']],
      [503, ['m-503']],
    ]);
  });

  it('turns a failure to record into one warning, never an error', async () => {
    const { store, runId } = await storeWithRun();
    const warnings: string[] = [];
    const recorder = new ExchangeRecorder({
      state: store,
      runId,
      sync: 'users',
      batchSize: 1,
      onWarning: (message) => warnings.push(message),
    });
    await store.close();
    recorder.take(exchange(500));
    recorder.take(exchange(500));
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: sync "users": the inspector could not keep this run's HTTP exchanges \(state store .*\); the run goes on$/,
    );
  });
});
