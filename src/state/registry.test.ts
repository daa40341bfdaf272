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

  it('refuses PostgreSQL state for now, as a config error', async () => {
    await expect(
      openStateStore({ kind: 'postgres', url: new Secret('postgres://u:p@127.0.0.1/db') }),
    ).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining('not supported yet'),
    });
  });
});
