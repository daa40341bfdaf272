import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../core/errors.js';
import { describeStateStoreConformance } from '../state-store-conformance.case.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import { ThreadedStateStore } from './threaded-state-store.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-threaded-state-'));
  file = join(dir, 'nested', 'state.db');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStateStoreConformance('sqlite on its own thread', () => ThreadedStateStore.open(file));

describe('ThreadedStateStore', () => {
  it('shares the file with an in-thread store, both ways', async () => {
    const threaded = await ThreadedStateStore.open(file);
    const direct = await SqliteStateStore.open(file);
    try {
      expect(await threaded.workspaceId()).toBe(await direct.workspaceId());
      const runId = await threaded.runs.start({
        sync: 's',
        fullResync: false,
        startedAt: '2025-01-01T00:00:00.000Z',
      });
      expect((await direct.runs.get(runId))?.status).toBe('running');
    } finally {
      await threaded.close();
      await direct.close();
    }
  });

  it('forwards every method of the SQLite store by group and name, and nothing else', async () => {
    const threaded = await ThreadedStateStore.open(file);
    const direct = await SqliteStateStore.open(file);
    try {
      const names = (store: object) =>
        Object.fromEntries(
          (['runs', 'ledger', 'locks', 'rates', 'transfer'] as const).map((group) => [
            group,
            Object.keys((store as Record<string, object>)[group]!).sort(),
          ]),
        );
      expect(names(threaded)).toEqual(names(direct));
      for (const name of ['workspaceId', 'prune', 'close']) {
        expect(typeof (threaded as unknown as Record<string, unknown>)[name]).toBe('function');
      }
      // The thread's own wire form of a lookup is not part of the store.
      expect((threaded as unknown as Record<string, unknown>).lookupFlags).toBeUndefined();
      // Not thenable: awaiting the store gives the store, not a call to the thread.
      expect((threaded as unknown as Record<string, unknown>).then).toBeUndefined();
      expect((threaded as unknown as Record<string, unknown>).toJSON).toBeUndefined();
      expect(await Promise.resolve(threaded)).toBe(threaded);
    } finally {
      await threaded.close();
      await direct.close();
    }
  });

  it('answers calls in the order they were made, even when not awaited one by one', async () => {
    const store = await ThreadedStateStore.open(file);
    try {
      const changes = Array.from({ length: 50 }, (_, i) => ({
        key: 'k',
        hash: `h${i}`,
        messageId: `m${i}`,
        generation: i + 1,
      }));
      await Promise.all(changes.map((change) => store.ledger.savePlanned('s', [change])));
      const state = (await store.ledger.keyStates('s', ['k'])).get('k');
      expect(state?.generation).toBe(50);
      expect(state?.pending?.messageId).toBe('m49');
    } finally {
      await store.close();
    }
  });

  it('rebuilds SluiceErrors with their code, and fails calls after close', async () => {
    const store = await ThreadedStateStore.open(file);
    const error = await store.runs
      .finish('r_missing', {
        status: 'completed',
        counts: (await import('../../core/run.js')).emptyCounts(),
        finishedAt: '2025-01-01T00:00:00.000Z',
        error: null,
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('not_found');
    expect((error as SluiceError).message).toMatch(/no run with id r_missing/);
    await store.close();
    await store.close();
    await expect(store.runs.list({ limit: 1 })).rejects.toMatchObject({ code: 'state_error' });
  });

  it('reports a file that is not a database as a state_error naming it', async () => {
    const bad = join(dir, 'not-a-db.db');
    await writeFile(bad, 'this is not sqlite '.repeat(200));
    const error = await ThreadedStateStore.open(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('state_error');
    expect((error as SluiceError).message).toContain(bad);
  });
});
