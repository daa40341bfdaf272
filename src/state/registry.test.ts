import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../core/workspace.js';
import { openStateStore } from './registry.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-registry-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openStateStore', () => {
  it('opens SQLite state, creating the folders of its file', async () => {
    const path = join(dir, '.sluice', 'deep', 'state.db');
    const store = await openStateStore({ kind: 'sqlite', path });
    expect((await store.ledger.countKeys('s')).keys > 0).toBe(false);
    expect((await stat(path)).isFile()).toBe(true);
    await store.close();
  });

  it('opens PostgreSQL state, and names the server but never the password when it cannot connect', async () => {
    // Port 1 on loopback refuses at once: the driver is loaded and the URL used, not refused.
    const error = await openStateStore({
      kind: 'postgres',
      url: new Secret('postgres://sluice:s3cret-pw@127.0.0.1:1/statedb'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'state_error',
      message: expect.stringContaining('postgres://sluice@127.0.0.1:1/statedb'),
    });
    expect(String((error as Error).message)).not.toContain('s3cret-pw');
  });
});
