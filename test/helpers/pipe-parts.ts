import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from '../../src/core/values.js';
import type { ObjectKind, SyncConfig } from '../../src/core/workspace.js';
import type { Destination } from '../../src/destinations/destination.js';
import { destinationType } from '../../src/destinations/registry.js';
import { compileMapping } from '../../src/mapping/compile-mapping.js';
import { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { KEY_COUNT_COLUMN } from '../../src/sync/extract.js';
import { createRowMapper, type RowMapper } from '../../src/sync/map.js';

/** The parts the pipe's stage tests share: a sync, its mapper and its source rows (src/sync/*.test.ts). */

/** A throwaway PostgreSQL database, for stage tests that run a PostgreSQL source too. */
export {
  createPostgresDatabase,
  type TestDatabase,
} from '../../src/sources/source-conformance-databases.case.js';

/** A sync keyed by `id` that maps `email` to `data.email` (a jsonl-file destination's line). */
export function testSync(overrides: Partial<SyncConfig> = {}): SyncConfig {
  return {
    name: 'users',
    model: 'people',
    destination: 'file',
    object: 'user',
    key: { column: 'id', field: 'id' },
    mappings: [{ path: 'data.email', source: { kind: 'column', column: 'email' }, line: 1 }],
    nulls: 'send',
    backfill: true,
    retry: {},
    file: 'sluice.yaml',
    line: 1,
    keyLine: 0,
    bundleLine: 0,
    ...overrides,
  };
}

/** A jsonl-file destination appending to `path` (absolute; never written unless something is sent). */
export function fileDestination(path: string): Destination {
  return destinationType('jsonl-file')!.create({ type: 'jsonl-file', path }, { version: '0.0.0-test' });
}

/** The row mapper of {@link testSync} for a jsonl-file destination. */
export function testMapper(object: ObjectKind, destination: Destination): RowMapper {
  return createRowMapper({
    keyColumn: 'id',
    object,
    mapping: compileMapping({
      key: { column: 'id', field: 'id' },
      mappings: testSync().mappings,
      nulls: 'send',
      idFields: ['id'],
      objectFields: ['data'],
    }),
    destination,
    salt: object,
  });
}

/** A fresh source row as the extract returns it (keyBatch hides the extract's columns in place). */
export function sourceRow(id: string | null, email: string, keyCount = 1): Row {
  return { id, email, [KEY_COUNT_COLUMN]: keyCount };
}

/** A real SQLite state store in a temp folder of its own; `close` closes it and removes the folder. */
export async function tempStateStore(): Promise<{
  store: StateStore;
  dir: string;
  close(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pipe-'));
  const store = await SqliteStateStore.open(join(dir, 'state.db'));
  return {
    store,
    dir,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
