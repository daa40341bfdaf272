// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { Secret, type Workspace } from '../core/workspace.js';
import type { DestinationType } from '../destinations/destination.js';
import { destinationType } from '../destinations/registry.js';
import { loadWorkspace, parseWorkspace } from './load-workspace.js';

// The example of SPEC §1, verbatim.
const SPEC_EXAMPLE = `state: sqlite:.sluice/state.db        # default. Or postgres://… to share state between workers.

sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }        # embedded default; ":memory:" allowed
  app:       { type: postgres, url: "\${APP_DATABASE_URL}" }
  crm:       { type: mysql, url: "mysql://root@127.0.0.1:3306/crm" }
  lite:      { type: sqlite, path: data/app.sqlite }
  files:     { type: files }                                  # CSV / Parquet / JSON read through DuckDB

destinations:
  segment:
    type: segment
    write_key: "\${SEGMENT_WRITE_KEY}"  # a secret: never printed, logged, or stored in clear
    region: us                         # us | eu; \`endpoint: http://127.0.0.1:8787\` overrides it

models:
  users:  { source: warehouse, sql: "select * from users" }
  orders: { source: warehouse, file: models/orders.sql }
  visits: { source: files, sql: "select * from read_parquet('data/visits/*.parquet')" }

syncs:
  users-to-segment:
    model: users
    destination: segment
    object: user                       # user → identify · group → group · event → track
    key: { column: id, field: userId } # the sync key: one column, unique and non-null per row
    mappings:                          # destination path ← source
      traits.email: email              # a bare string is a column name
      traits.plan: { column: plan }
      traits.name: { template: "{{ first_name }} {{ last_name }}" }   # Liquid
      traits.address.city: city        # dotted paths build nested objects
      context.ip: last_ip
      integrations: { column: integrations_json }                     # object/JSON column → whole object
      context.source: { constant: warehouse }
    bundle: { into: traits, exclude: [ssn] }   # optional: every column not otherwise used
    nulls: send                        # send (default) | skip: leave out null-valued fields
    schedule: "*/15 * * * *"           # optional (see §5)

  orders-to-segment:
    model: orders
    destination: segment
    object: event
    key: { column: order_id }          # unique per event: each key is sent once, ever
    backfill: true                     # first run sends existing rows (default); false = only rows that appear later
    mappings:
      event: { constant: Order Completed }   # or a column
      userId: user_id
      timestamp: ordered_at
      properties.revenue: total
      properties: { column: props_json }     # a properties bundle column (object/JSON)
`;

const ENV = {
  APP_DATABASE_URL: 'postgres://app:pg-pass-1234@db.internal:5432/app',
  SEGMENT_WRITE_KEY: 'wk_live_s3cr3tKEY',
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-workspace-'));
  await mkdir(path.join(dir, 'models'));
  await writeFile(path.join(dir, 'sluice.yaml'), SPEC_EXAMPLE);
  await writeFile(path.join(dir, 'models', 'orders.sql'), 'select * from orders\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The problems a workspace text has (fails the test if it has none). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseWorkspace(text, { dir, file: 'sluice.yaml', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the workspace to be refused');
}

describe('loadWorkspace', () => {
  it('parses the SPEC §1 example into the resolved workspace', async () => {
    const ws = await loadWorkspace(dir, { env: ENV });
    const mapping = (path: string, source: object, line: number) => ({ path, source, line });
    expect(JSON.parse(JSON.stringify(ws))).toEqual({
      dir,
      file: path.join(dir, 'sluice.yaml'),
      // Not in SPEC §1's example: parse-state-settings.test.ts and parse-alerts.test.ts cover them.
      workspaceId: undefined,
      retention: undefined,
      notify: undefined,
      webhooks: undefined,
      state: { kind: 'sqlite', path: path.join(dir, '.sluice/state.db') },
      sources: {
        warehouse: { type: 'duckdb', path: path.join(dir, 'warehouse.duckdb') },
        app: { type: 'postgres', url: '[secret]' },
        crm: { type: 'mysql', url: '[secret]' },
        lite: { type: 'sqlite', path: path.join(dir, 'data/app.sqlite') },
        files: { type: 'files' },
      },
      destinations: {
        segment: {
          type: 'segment',
          name: 'segment',
          config: {
            type: 'segment',
            writeKey: '[secret]',
            region: 'us',
            endpoint: 'https://api.segment.io',
            concurrency: 4,
            timeoutMs: 10_000,
          },
        },
      },
      models: {
        users: {
          source: 'warehouse',
          sql: 'select * from users',
          origin: { file: 'sluice.yaml', line: 17, inline: true },
        },
        orders: {
          source: 'warehouse',
          sql: 'select * from orders\n',
          origin: { file: 'models/orders.sql', line: 1, inline: false },
        },
        visits: {
          source: 'files',
          sql: "select * from read_parquet('data/visits/*.parquet')",
          origin: { file: 'sluice.yaml', line: 19, inline: true },
        },
      },
      syncs: {
        'users-to-segment': {
          name: 'users-to-segment',
          model: 'users',
          destination: 'segment',
          object: 'user',
          key: { column: 'id', field: 'userId' },
          mappings: [
            mapping('traits.email', { kind: 'column', column: 'email' }, 28),
            mapping('traits.plan', { kind: 'column', column: 'plan' }, 29),
            mapping(
              'traits.name',
              { kind: 'template', template: '{{ first_name }} {{ last_name }}', json: false },
              30,
            ),
            mapping('traits.address.city', { kind: 'column', column: 'city' }, 31),
            mapping('context.ip', { kind: 'column', column: 'last_ip' }, 32),
            mapping('integrations', { kind: 'column', column: 'integrations_json' }, 33),
            mapping('context.source', { kind: 'constant', value: 'warehouse' }, 34),
          ],
          bundle: { into: 'traits', exclude: ['ssn'] },
          nulls: 'send',
          backfill: true,
          schedule: { kind: 'cron', cron: '*/15 * * * *' },
          retry: {},
          file: 'sluice.yaml',
          line: 22,
          keyLine: 26,
          bundleLine: 35,
        },
        'orders-to-segment': {
          name: 'orders-to-segment',
          model: 'orders',
          destination: 'segment',
          object: 'event',
          key: { column: 'order_id' },
          mappings: [
            mapping('event', { kind: 'constant', value: 'Order Completed' }, 46),
            mapping('userId', { kind: 'column', column: 'user_id' }, 47),
            mapping('timestamp', { kind: 'column', column: 'ordered_at' }, 48),
            mapping('properties.revenue', { kind: 'column', column: 'total' }, 49),
            mapping('properties', { kind: 'column', column: 'props_json' }, 50),
          ],
          nulls: 'send',
          backfill: true,
          retry: {},
          file: 'sluice.yaml',
          line: 39,
          keyLine: 43,
          bundleLine: 0,
        },
      },
    } satisfies Record<keyof Workspace, unknown>);
    // Secrets hold the interpolated values, revealed only on request.
    const app = ws.sources.app;
    expect(app?.type === 'postgres' && app.url.reveal()).toBe(ENV.APP_DATABASE_URL);
    expect((ws.destinations.segment!.config as { writeKey: Secret }).writeKey.reveal()).toBe(
      ENV.SEGMENT_WRITE_KEY,
    );
  });

  it('returns a deeply frozen workspace', async () => {
    const ws = await loadWorkspace(dir, { env: ENV });
    expect(Object.isFrozen(ws)).toBe(true);
    expect(Object.isFrozen(ws.syncs)).toBe(true);
    const sync = ws.syncs['users-to-segment']!;
    expect(Object.isFrozen(sync.mappings[0]!.source)).toBe(true);
    expect(Object.isFrozen(sync.bundle?.exclude)).toBe(true);
    expect(() => {
      (sync.mappings as unknown[]).push({});
    }).toThrow(TypeError);
    // Names are looked up as own keys only: "toString" is not a sync.
    expect(ws.syncs.toString).toBeUndefined();
  });

  it('reports an unset variable by name and line, without the other values', async () => {
    const error = await loadWorkspace(dir, { env: { APP_DATABASE_URL: ENV.APP_DATABASE_URL } }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([
      {
        file: 'sluice.yaml',
        line: 13,
        message: 'environment variable SEGMENT_WRITE_KEY is not set',
        fix: expect.stringContaining('set SEGMENT_WRITE_KEY in the environment'),
      },
    ]);
    expect(error.message).toMatch(
      /^sluice\.yaml:13: environment variable SEGMENT_WRITE_KEY is not set — set/,
    );
    expect(error.message).not.toContain('pg-pass-1234');
  });

  it('reads a model file relative to the workspace and reports a missing one with its line', async () => {
    const ws = await loadWorkspace(dir, { env: ENV });
    expect(ws.models.orders?.sql).toBe('select * from orders\n');
    const other = await mkdtemp(path.join(os.tmpdir(), 'sluice-workspace-'));
    try {
      await writeFile(
        path.join(other, 'sluice.yaml'),
        'sources:\n  w: { type: duckdb, path: ":memory:" }\nmodels:\n  m:\n    source: w\n    file: models/nope.sql\n',
      );
      const error = await loadWorkspace(other, { env: {} }).catch((e) => e);
      expect(error.problems).toEqual([
        {
          file: 'sluice.yaml',
          line: 6,
          message: 'model file "models/nope.sql" does not exist',
          fix: 'create it, or fix the path (relative to the workspace folder)',
        },
      ]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses a 2 MB file without parsing it', async () => {
    const big = await mkdtemp(path.join(os.tmpdir(), 'sluice-workspace-'));
    try {
      await writeFile(path.join(big, 'sluice.yaml'), `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
      const started = performance.now();
      const error = await loadWorkspace(big, { env: {} }).catch((e) => e);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.problems[0]).toMatchObject({
        file: 'sluice.yaml',
        message: 'sluice.yaml is larger than 1 MiB',
      });
      // parseWorkspace enforces the same limit on text it is given.
      expect(problemsOf(`a: "${'y'.repeat(2 * 1024 * 1024)}"\n`)[0]?.message).toBe(
        'the file is larger than 1 MiB',
      );
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });

  it('says where to look when there is no sluice.yaml', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'sluice-workspace-'));
    try {
      const error = await loadWorkspace(empty).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.problems).toEqual([
        {
          file: 'sluice.yaml',
          line: 0,
          message: `there is no sluice.yaml in ${empty}`,
          fix: 'run `sluice init`, or point -w at the workspace folder',
        },
      ]);
      await writeFile(path.join(empty, 'other.yaml'), 'state: sqlite:s.db\n');
      const ws = await loadWorkspace(empty, { file: 'other.yaml', env: {} });
      expect(ws.file).toBe(path.join(empty, 'other.yaml'));
      expect(ws.state).toEqual({ kind: 'sqlite', path: path.join(empty, 's.db') });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('parseWorkspace', () => {
  it('reports an unknown model, an unknown key and an undefined destination at once, with their lines', () => {
    const problems = problemsOf(
      [
        'sources:',
        '  w: { type: duckdb, path: w.duckdb }',
        'models:',
        '  users: { source: w, sql: select 1 }',
        'destinations:',
        '  segment: { type: segment, write_key: k }',
        'syncs:',
        '  s:',
        '    model: usres',
        '    destination: segmnet',
        '    object: user',
        '    key: id',
        '    mapings: {}',
      ].join('\n'),
    );
    expect(problems).toEqual([
      {
        file: 'sluice.yaml',
        line: 9,
        message: 'model of sync "s" is "usres": no model has that name',
        fix: 'did you mean "users"?',
      },
      {
        file: 'sluice.yaml',
        line: 10,
        message: 'destination of sync "s" is "segmnet": no destination has that name',
        fix: 'did you mean "segment"?',
      },
      {
        file: 'sluice.yaml',
        line: 13,
        message: 'unknown key "mapings" in sync "s"',
        fix: 'did you mean "mappings"?',
      },
    ]);
  });

  it('fills in the defaults', () => {
    const ws = parseWorkspace(
      [
        'sources: { w: { type: duckdb, path: ":memory:" } }',
        'models: { m: { source: w, sql: select 1 } }',
        'destinations: { d: { type: segment, write_key: k } }',
        'syncs:',
        '  users: { model: m, destination: d, object: user, key: id }',
        '  groups: { model: m, destination: d, object: group, key: { column: id } }',
        '  events: { model: m, destination: d, object: event, key: id }',
      ].join('\n'),
      { dir, file: 'sluice.yaml', env: {} },
    );
    expect(ws.state).toEqual({ kind: 'sqlite', path: path.join(dir, '.sluice', 'state.db') });
    expect(ws.sources.w).toEqual({ type: 'duckdb', path: ':memory:' });
    expect(ws.syncs.users).toMatchObject({
      key: { column: 'id', field: 'userId' },
      mappings: [],
      nulls: 'send',
      backfill: true,
      retry: {},
      line: 5,
    });
    expect(ws.syncs.users?.schedule).toBeUndefined();
    expect(ws.syncs.users?.bundle).toBeUndefined();
    expect(ws.syncs.groups?.key).toEqual({ column: 'id', field: 'groupId' });
    expect(ws.syncs.events?.key).toEqual({ column: 'id' });
    expect(parseWorkspace('', { dir, file: 'sluice.yaml', env: {} }).syncs).toEqual({});
  });

  it('keeps postgres state as a secret', () => {
    const url = 'postgres://sluice:state-pass-99@db:5432/sluice';
    const ws = parseWorkspace('state: "${STATE_URL}"', { dir, file: 'sluice.yaml', env: { STATE_URL: url } });
    expect(ws.state.kind).toBe('postgres');
    expect(ws.state.kind === 'postgres' && ws.state.url).toBeInstanceOf(Secret);
    expect(ws.state.kind === 'postgres' && ws.state.url.reveal()).toBe(url);
    expect(JSON.stringify(ws)).not.toContain('state-pass-99');
  });

  it('never puts secret values in problems', () => {
    const env = {
      PG: 'postgress://u:pg-secret-1@h/db',
      KEY: 'wk-secret-2',
      STATE: 'mysql://u:state-secret-3@h/db',
    };
    const problems = problemsOf(
      [
        'state: "${STATE}"',
        'sources:',
        '  app: { type: postgres, url: "${PG}" }',
        '  my: { type: mysql, url: "http://u:literal-secret-4@h/db" }',
        'destinations:',
        '  d: { type: segment, write_key: "${KEY}", region: "${KEY}" }',
        'models:',
        '  m: { source: "${KEY}", sql: select 1 }',
      ].join('\n'),
      env,
    );
    expect(problems.map((p) => p.line)).toEqual([1, 3, 4, 6, 8]);
    const text = new ConfigError([...problems]).message;
    for (const secret of ['pg-secret-1', 'wk-secret-2', 'state-secret-3', 'literal-secret-4']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('model "m" reads from source the value, which is not defined');
  });

  it('uses destination types given in place of the registry', () => {
    const webhook: DestinationType<{ type: 'webhook'; url: string }> = {
      type: 'webhook',
      parseConfig: (raw) =>
        typeof raw.url === 'string'
          ? { ok: true, config: { type: 'webhook', url: raw.url } }
          : { ok: false, problems: [{ path: ['url'], message: 'url is required', fix: 'add url:' }] },
      objects: destinationType('segment')!.objects,
      describe: (config) => config.url,
      create: () => {
        throw new Error('not connected in this test');
      },
    };
    const text = (more: string) => `destinations:\n  hook:\n    type: webhook\n${more}\n`;
    const destinationTypes = [webhook as DestinationType];
    const ws = parseWorkspace(text('    url: http://127.0.0.1:9'), {
      dir,
      file: 'sluice.yaml',
      env: {},
      destinationTypes,
    });
    expect(ws.destinations.hook).toEqual({
      type: 'webhook',
      name: 'hook',
      config: { type: 'webhook', url: 'http://127.0.0.1:9' },
    });
    try {
      parseWorkspace(text('  seg: { type: segment, write_key: k }'), {
        dir,
        file: 'sluice.yaml',
        env: {},
        destinationTypes,
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        { file: 'sluice.yaml', line: 2, message: 'destination "hook": url is required', fix: 'add url:' },
        {
          file: 'sluice.yaml',
          line: 4,
          message: 'destination "seg" has unknown type "segment"',
          fix: 'use one of: webhook',
        },
      ]);
    }
  });
});

describe('hostile files', () => {
  it('sums up after 100 problems', () => {
    const lines = ['syncs:', ...Array.from({ length: 150 }, (_, i) => `  s${i}: { nope: 1 }`)];
    const problems = problemsOf(lines.join('\n'));
    expect(problems).toHaveLength(100);
    expect(problems[0]).toMatchObject({ line: 2, message: 'unknown key "nope" in sync "s0"' });
    expect(problems[99]).toEqual({
      file: 'sluice.yaml',
      line: 0,
      message: '… and 651 more problems',
      fix: 'fix the ones above and check again',
    });
  });
});
