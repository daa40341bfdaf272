// The change detectors: which one a run uses (a table), and what each finds in a real SQLite state
// store, including the removed-keys accounting they feed (checked by finishing it against a real
// DuckDB source whose model returns the keys).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPostgresDatabase,
  fileDestination,
  sourceRow,
  type TestDatabase,
  tempStateStore,
  testMapper,
  testSync,
} from '../../test/helpers/pipe-parts.js';
import { Secret, type SourceConfig, type SyncConfig } from '../core/workspace.js';
import { createSource } from '../sources/registry.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../state/state-store.js';
import {
  chooseStrategy,
  type DetectionFacts,
  type DetectionStrategy,
  detectorFor,
} from './detect-changes.js';
import { extractRows } from './extract.js';
import { keyBatch } from './key-batch.js';
import type { RemovedKeys } from './removed-keys.js';

describe('chooseStrategy', () => {
  const upsert: DetectionFacts = {
    behaviour: 'upsert',
    backfill: true,
    completedRun: true,
    keysWithState: 10,
    fullResync: false,
    warehouseDiff: false,
  };
  const inWarehouse: DetectionFacts = { ...upsert, warehouseDiff: true };
  const events: DetectionFacts = { ...upsert, behaviour: 'send-once' };
  it.each<[string, DetectionFacts, DetectionStrategy]>([
    ['users with key state', upsert, 'state-lookup'],
    ['users with no key state', { ...upsert, keysWithState: 0, completedRun: false }, 'first-run'],
    ['users, --full-resync', { ...upsert, fullResync: true }, 'full-resync'],
    [
      'users, --full-resync on an empty state',
      { ...upsert, fullResync: true, keysWithState: 0 },
      'first-run',
    ],
    [
      'users, backfill: false (no meaning for upserts)',
      { ...upsert, backfill: false, completedRun: false },
      'state-lookup',
    ],
    ['events with key state', events, 'state-lookup'],
    ['events, first run', { ...events, keysWithState: 0, completedRun: false }, 'first-run'],
    [
      'events, backfill: false, first run',
      { ...events, backfill: false, keysWithState: 0, completedRun: false },
      'baseline',
    ],
    [
      'events, backfill: false, a first run that died half-way',
      { ...events, backfill: false, keysWithState: 5, completedRun: false },
      'baseline',
    ],
    ['events, backfill: false, after a completed run', { ...events, backfill: false }, 'state-lookup'],
    ['users with key state, a source that diffs', inWarehouse, 'warehouse-diff'],
    ['users, first run, a source that diffs', { ...inWarehouse, keysWithState: 0 }, 'first-run'],
    ['users, --full-resync, a source that diffs', { ...inWarehouse, fullResync: true }, 'full-resync'],
    [
      'events, backfill: false, first run, a source that diffs',
      { ...inWarehouse, behaviour: 'send-once', backfill: false, completedRun: false },
      'baseline',
    ],
  ])('%s', (_, facts, strategy) => {
    expect(chooseStrategy(facts)).toBe(strategy);
  });
});

describe('the detectors', () => {
  let parts: Awaited<ReturnType<typeof tempStateStore>>;
  let store: StateStore;
  let source: Source;
  const mapper = testMapper('user', fileDestination('/nonexistent/never-written.jsonl'));
  /** The fingerprint of `sourceRow(id, email)`, as a lookup compares it. */
  const fingerprint = (id: string, email: string) =>
    keyBatch([sourceRow(id, email)], mapper).sourceHashes[0]!;
  const batch = (...ids: string[]) =>
    keyBatch(
      ids.map((id) => sourceRow(id, `${id}@example.com`)),
      mapper,
    );

  beforeEach(async () => {
    parts = await tempStateStore();
    store = parts.store;
    source = await createSource({ type: 'files' }, { name: 'warehouse', workspaceDir: parts.dir });
  });
  afterEach(async () => {
    await source.close();
    await parts.close();
  });

  /** u1…u3 delivered from rows with their emails as they are now. */
  async function remember(sync = 'users'): Promise<void> {
    const runId = await store.runs.start({ sync, fullResync: false, startedAt: new Date().toISOString() });
    const ids = ['u1', 'u2', 'u3'];
    await store.ledger.savePlanned(
      sync,
      ids.map((id) => ({ key: id, hash: `h-${id}`, messageId: `m-${id}`, generation: 1 })),
    );
    await store.ledger.recordDeliveries(
      sync,
      runId,
      ids.map((id) => ({
        key: id,
        hash: `h-${id}`,
        sourceHash: fingerprint(id, `${id}@example.com`),
        generation: 1,
        messageId: `m-${id}`,
        payload: '{}',
        reason: 'new',
        status: 'succeeded',
        error: null,
      })),
    );
  }

  /** What the run's removed-keys accounting concludes, the model returning `ids`. */
  function removedCount(removed: RemovedKeys, ids: string[], record = true): Promise<number> {
    const values = ids.map((id) => `('${id}')`).join(', ');
    return removed.finish({
      run: 'run-1',
      record,
      source,
      modelSql: ids.length === 0 ? 'select 1 as id where false' : `select * from (values ${values}) t(id)`,
      keyColumn: 'id',
      mapper,
    });
  }

  it('first run: nothing to look up, every key new, no removed keys to count', async () => {
    const { detector, removed } = await detectorFor(store, testSync(), 'upsert', false);
    expect(detector.strategy).toBe('first-run');
    expect(removed).toBeNull();
    const found = await detector.detect(batch('u1', 'u2'));
    expect(found.unchanged.size).toBe(0);
    expect(found.states?.size).toBe(0);
  });

  it('state lookup: unchanged by fingerprint, the states of the rest, removed keys counted from them', async () => {
    await remember();
    const { detector, removed } = await detectorFor(store, testSync(), 'upsert', false);
    expect(detector.strategy).toBe('state-lookup');
    const rows = keyBatch([sourceRow('u1', 'u1@example.com'), sourceRow('u2', 'edited@example.com')], mapper);
    const found = await detector.detect(rows);
    expect([...found.unchanged]).toEqual(['u1']);
    expect([...(found.states?.keys() ?? [])]).toEqual(['u2']);
    expect(found.states?.get('u2')).toMatchObject({ deliveredHash: 'h-u2' });
    // u3 was not found: the accounting reads the model's keys again and finds it absent.
    expect(await removedCount(removed!, ['u1', 'u2'], false)).toBe(1);
  });

  it('state lookup: every key found, so removed keys are known to be none without reading the model', async () => {
    await remember();
    const { detector, removed } = await detectorFor(store, testSync(), 'upsert', false);
    await detector.detect(batch('u1', 'u2'));
    await detector.detect(batch('u3', 'u4'));
    // A model that cannot be read: the counts alone tell.
    const finished = removed!.finish({
      run: 'run-1',
      record: true,
      source,
      modelSql: 'select * from no_such_table',
      keyColumn: 'id',
      mapper,
    });
    expect(await finished).toBe(0);
  });

  it('counts the keys of invalid rows (duplicates) as present in the model', async () => {
    await remember();
    const { detector, removed } = await detectorFor(store, testSync(), 'upsert', false);
    const rows = keyBatch(
      [
        sourceRow('u1', 'a', 2),
        sourceRow('u1', 'b', 2),
        sourceRow('u2', 'u2@example.com'),
        sourceRow('u3', 'c'),
      ],
      mapper,
    );
    await detector.detect(rows);
    const finished = removed!.finish({
      run: 'run-1',
      record: true,
      source,
      modelSql: 'select * from no_such_table',
      keyColumn: 'id',
      mapper,
    });
    expect(await finished).toBe(0);
  });

  it('full resync: nothing unchanged by fingerprint, every known key with its state', async () => {
    await remember();
    const { detector, removed } = await detectorFor(store, testSync(), 'upsert', true);
    expect(detector.strategy).toBe('full-resync');
    const found = await detector.detect(batch('u1', 'u2', 'u9'));
    expect(found.unchanged.size).toBe(0);
    expect([...(found.states?.keys() ?? [])].sort()).toEqual(['u1', 'u2']);
    expect(await removedCount(removed!, ['u1', 'u2', 'u9'], false)).toBe(1);
  });

  it('baseline: looks nothing up (rows are remembered, not sent), so removed keys are read from the model', async () => {
    const events = testSync({ name: 'orders', object: 'event', backfill: false });
    await remember('orders'); // delivered before backfill: false was set
    const { detector, removed } = await detectorFor(store, events, 'send-once', false);
    expect(detector.strategy).toBe('baseline');
    const found = await detector.detect(batch('u1', 'u2', 'u3'));
    expect(found.states).toBeNull();
    // Every key was in the batch, yet the counts cannot tell: the model is read again.
    expect(await removedCount(removed!, ['u1', 'u2'], false)).toBe(1);
  });

  it('baseline ends once the sync has a completed run', async () => {
    const events = testSync({ name: 'orders', object: 'event', backfill: false });
    const runId = await store.runs.start({
      sync: 'orders',
      fullResync: false,
      startedAt: new Date().toISOString(),
    });
    await store.runs.finish(runId, {
      status: 'completed',
      counts: (await store.runs.get(runId))!.counts,
      finishedAt: new Date().toISOString(),
      error: null,
    });
    const { detector } = await detectorFor(store, events, 'send-once', false);
    expect(detector.strategy).toBe('first-run');
  });
});

/** The engines that diff in the warehouse: files (DuckDB) and PostgreSQL (a database of this file's own). */
const ENGINES: { engine: string; config: () => SourceConfig }[] = [
  { engine: 'files', config: () => ({ type: 'files' }) },
  { engine: 'postgres', config: () => ({ type: 'postgres', url: new Secret(pgDatabase.url) }) },
];
let pgDatabase: TestDatabase;
beforeAll(async () => {
  pgDatabase = await createPostgresDatabase('sluice_detect');
});
afterAll(async () => {
  await pgDatabase?.drop();
});

describe.each(ENGINES)('the warehouse diff, against the state lookup ($engine)', ({ engine, config }) => {
  let parts: Awaited<ReturnType<typeof tempStateStore>>;
  let store: StateStore;
  let source: Source;
  const mapper = testMapper('user', fileDestination('/nonexistent/never-written.jsonl'));
  const model = (rows: [string | null, string][]) =>
    `select * from (values ${rows.map(([id, email]) => `(${id === null ? 'null' : `'${id}'`}, '${email}')`).join(', ')}) t(id, email)`;

  beforeEach(async () => {
    parts = await tempStateStore();
    store = parts.store;
    source = await createSource(config(), { name: 'warehouse', workspaceDir: parts.dir });
  });
  afterEach(async () => {
    await source.close();
    await parts.close();
  });

  /** Delivers the model's rows as a run would record them, fingerprinted by the warehouse's hashes. */
  async function deliver(sql: string, sync = 'users'): Promise<void> {
    const runId = await store.runs.start({
      sync,
      fullResync: false,
      startedAt: new Date().toISOString(),
    });
    for await (const rows of extractRows(source, sql, 'id', { batchSize: 100 })) {
      const keyed = keyBatch(rows, mapper);
      await store.ledger.recordDeliveries(
        sync,
        runId,
        keyed.rows.map((row, i) => ({
          key: row.key,
          hash: `h-${row.key}`,
          sourceHash: keyed.sourceHashes[i]!,
          generation: 1,
          messageId: `m-${row.key}`,
          payload: '{}',
          reason: 'new',
          status: 'succeeded',
          error: null,
        })),
      );
    }
  }

  /** Everything a run's detector tells the plan, over the whole model, and the removed keys. */
  async function detectAll(sync: SyncConfig, sql: string, from: Source = source, warnings: string[] = []) {
    const { detector, removed } = await detectorFor(store, sync, 'upsert', false, {
      source: from,
      salt: mapper.salt,
      onWarning: (message) => warnings.push(message),
    });
    let rowsRead = 0;
    let unchanged = 0;
    const states: string[] = [];
    const invalid: string[] = [];
    for await (const rows of detector.extract(from, sql, 'id', { batchSize: 2 })) {
      rowsRead += rows.length;
      const keyed = keyBatch(rows, mapper);
      const found = await detector.detect(keyed);
      unchanged += found.unchanged.size + (found.unread ?? 0);
      states.push(...(found.states?.keys() ?? []));
      for (const row of keyed.invalid) invalid.push(`${row.key}:${row.reason}`);
    }
    const removedKeys = await removed!.finish({
      run: `run-${sync.name}-${sync.diff}`,
      record: false,
      source: from,
      modelSql: sql,
      keyColumn: 'id',
      mapper,
    });
    return {
      strategy: detector.strategy,
      rowsRead,
      outcome: { unchanged, states: states.sort(), invalid: invalid.sort(), removedKeys },
    };
  }

  it('finds what the state lookup finds, reading only rows that may have changed', async () => {
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
    await deliver(model(ids.map((id) => [id, `${id}@example.com`])));
    // u2: a change pending; u3: edited; u4: gone; u5: duplicated; u8: new; a null key.
    await store.ledger.savePlanned('users', [{ key: 'u2', hash: 'h2', messageId: 'm2', generation: 2 }]);
    const now = model([
      ['u1', 'u1@example.com'],
      ['u2', 'u2@example.com'],
      ['u3', 'edited@example.com'],
      ['u5', 'u5@example.com'],
      ['u5', 'u5@example.com'],
      ['u6', 'u6@example.com'],
      ['u7', 'u7@example.com'],
      ['u8', 'u8@example.com'],
      [null, 'nobody@example.com'],
    ]);
    const state = await detectAll(testSync({ diff: 'state' }), now);
    const warehouse = await detectAll(testSync({ diff: 'warehouse' }), now);
    expect(state.strategy).toBe('state-lookup');
    expect(warehouse.strategy).toBe('warehouse-diff');
    expect(warehouse.outcome).toEqual(state.outcome);
    expect(state.outcome).toEqual({
      unchanged: 3,
      states: ['u2', 'u3'],
      invalid: ['null:null_key', 'u5:duplicate_key', 'u5:duplicate_key'],
      removedKeys: 1,
    });
    // u1, u6, u7 stayed in the warehouse.
    expect(state.rowsRead).toBe(9);
    expect(warehouse.rowsRead).toBe(6);
  });

  it('counts a model where nothing changed without reading a row of it', async () => {
    const ids = ['u1', 'u2', 'u3'];
    const sql = model(ids.map((id) => [id, `${id}@example.com`]));
    await deliver(sql);
    const warehouse = await detectAll(testSync(), sql);
    expect(warehouse.strategy).toBe('warehouse-diff');
    expect(warehouse.rowsRead).toBe(0);
    expect(warehouse.outcome).toEqual({ unchanged: 3, states: [], invalid: [], removedKeys: 0 });
  });

  it('finds nothing unchanged in the warehouse under another salt (a mapping change)', async () => {
    const sql = model([['u1', 'u1@example.com']]);
    await deliver(sql);
    const other = testMapper('group', fileDestination('/nonexistent/never-written.jsonl'));
    const { detector } = await detectorFor(store, testSync(), 'upsert', false, { source, salt: other.salt });
    // Nothing to match: the plain extract runs (a source that would load the table fails the test).
    const noTable: Source = {
      ...source,
      type: source.type,
      capabilities: source.capabilities,
      stream: (query, options) => source.stream(query, options),
      streamWithTable: () => {
        throw new Error('a table was loaded with nothing in it to match');
      },
      check: () => source.check(),
      close: async () => {},
    };
    let rowsRead = 0;
    for await (const rows of detector.extract(noTable, sql, 'id', { batchSize: 2 })) rowsRead += rows.length;
    expect(rowsRead).toBe(1);
    expect(detector.strategy).toBe('warehouse-diff');
  });

  it('refuses diff: warehouse on a source that cannot diff, and keeps diff: state where it can', async () => {
    await deliver(model([['u1', 'u1@example.com']]));
    const plain: Source = {
      type: 'plain',
      capabilities: source.capabilities,
      stream: (sql, options) => source.stream(sql, options),
      check: () => source.check(),
      close: async () => {},
    };
    await expect(
      detectorFor(store, testSync({ diff: 'warehouse' }), 'upsert', false, {
        source: plain,
        salt: mapper.salt,
      }),
    ).rejects.toThrow(/diff: warehouse/);
    const fallback = await detectorFor(store, testSync(), 'upsert', false, {
      source: plain,
      salt: mapper.salt,
    });
    expect(fallback.detector.strategy).toBe('state-lookup');
  });

  it.runIf(engine === 'postgres')(
    "leaves out keys of int4, int8, uuid, numeric and collated text whose text is Sluice's, and looks up the rest",
    async () => {
      // Each column a key type; `n2` (numeric(6,2)) prints trailing zeros where Sluice does not
      // (1.50 → "1.5"), so its rows all come through and are found unchanged in the state store.
      // `text` has a collation of its own, which the table's ("C") must not clash with.
      const typed = (key: string, email: (i: number) => string) =>
        `select ${key} as id, email from (values ${[1, 2, 3]
          .map((i) => `(${i}, '${email(i)}')`)
          .join(', ')}) t(i, email)`;
      const keys: Record<string, { sql: string; leftOut: boolean }> = {
        int4: { sql: 'i::int4', leftOut: true },
        int8: { sql: '(9007199254740990 + i)::int8', leftOut: true },
        uuid: { sql: "('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1' || i)::uuid", leftOut: true },
        numeric: { sql: "('123456789012345678901234567890' || i)::numeric", leftOut: true },
        text: { sql: `('Key' || chr(9) || 'tab\\' || chr(10) || i) collate "POSIX"`, leftOut: true },
        n2: { sql: '(i + 0.5)::numeric(6,2)', leftOut: false },
      };
      // One sync per key type, side by side (each its own connections; one state store).
      await Promise.all(
        Object.entries(keys).map(async ([name, key]) => {
          const before = typed(key.sql, (i) => `${i}@example.com`);
          const after = typed(key.sql, (i) => (i === 2 ? 'edited@example.com' : `${i}@example.com`));
          const sync = { ...testSync(), name: `users_${name}` };
          await deliver(before, sync.name);
          const state = await detectAll({ ...sync, diff: 'state' }, after);
          const warehouse = await detectAll({ ...sync, diff: 'warehouse' }, after);
          expect(warehouse.outcome, name).toEqual(state.outcome);
          expect(state.outcome.unchanged, name).toBe(2);
          expect(warehouse.rowsRead, name).toBe(key.leftOut ? 1 : 3);
        }),
      );
    },
  );

  it.runIf(engine === 'postgres')(
    'falls back to the state lookup for a user without the TEMP privilege, with a warning; diff: warehouse fails naming the GRANT',
    async () => {
      const role = `${pgDatabase.name}_notemp`;
      await pgDatabase.query(`CREATE ROLE ${role} LOGIN`);
      await pgDatabase.query(`REVOKE TEMPORARY ON DATABASE ${pgDatabase.name} FROM PUBLIC`);
      const url = new URL(pgDatabase.url);
      url.username = role;
      const limited = await createSource(
        { type: 'postgres', url: new Secret(url.toString()) },
        { name: 'replica', workspaceDir: parts.dir },
      );
      try {
        const ids = ['u1', 'u2', 'u3'];
        const sql = model(ids.map((id) => [id, `${id}@example.com`]));
        await deliver(sql);
        const warnings: string[] = [];
        const fallback = await detectAll(testSync(), sql, limited, warnings);
        expect(fallback.rowsRead).toBe(3);
        expect(fallback.outcome).toEqual({ unchanged: 3, states: [], invalid: [], removedKeys: 0 });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain('sync "users"');
        expect(warnings[0]).toContain(`GRANT TEMPORARY ON DATABASE ${pgDatabase.name} TO ${role}`);
        expect(warnings[0]).toContain('state store instead');
        const required = await detectAll(testSync({ diff: 'warehouse' }), sql, limited).catch(
          (e: unknown) => e,
        );
        expect(required).toBeInstanceOf(Error);
        expect((required as Error).message).toContain('says diff: warehouse');
        expect((required as Error).message).toContain(
          `GRANT TEMPORARY ON DATABASE ${pgDatabase.name} TO ${role}`,
        );
      } finally {
        await limited.close();
        await pgDatabase.query(`GRANT TEMPORARY ON DATABASE ${pgDatabase.name} TO PUBLIC`);
        await pgDatabase.query(`DROP ROLE ${role}`);
      }
    },
  );
});
