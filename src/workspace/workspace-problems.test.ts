// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { configProblems } from './config-problems.case.js';
import { parseWorkspace } from './load-workspace.js';

// Lines 1–12: a valid workspace whose sync "s" ends at its key; cases append lines 13 onwards.
const BASE = [
  'sources:',
  '  w: { type: duckdb, path: w.duckdb }',
  'models:',
  '  m: { source: w, sql: select 1 }',
  'destinations:',
  '  d: { type: segment, write_key: k }',
  'syncs:',
  '  s:',
  '    model: m',
  '    destination: d',
  '    object: user',
  '    key: id',
];

function parse(lines: string[], env: NodeJS.ProcessEnv = {}): Workspace {
  return parseWorkspace(lines.join('\n'), { dir: '/ws', file: '/ws/sluice.yaml', env });
}

/** The problems of a workspace given as lines; fails when there are none. */
function problems(lines: string[]): ConfigProblem[] {
  return configProblems(() => parse(lines));
}

/** BASE with `key:` (line 12) replaced, for syncs of other objects. */
function withObject(object: string, key: string, more: string[] = []): string[] {
  return [...BASE.slice(0, 10), `    object: ${object}`, `    key: ${key}`, ...more];
}

describe('sluice.yaml problems, each with its line and a fix', () => {
  it.each<[string, string[], number, RegExp, RegExp]>([
    [
      'unknown top-level key',
      ['sync: {}', ...BASE],
      1,
      /^unknown key "sync" at the top level$/,
      /did you mean "syncs"\?/,
    ],
    [
      'section not a mapping',
      [...BASE.slice(0, 6), 'syncs: [a, b]'],
      7,
      /^syncs must be a mapping of sync name → sync, not a list$/,
      /syncs: \{ NAME/,
    ],
    [
      'entry not a mapping',
      [...BASE.slice(0, 7), '  s: users'],
      8,
      /^sync "s" must be a mapping, not text$/,
      /write it as \{ model: … \}/,
    ],
    [
      'name not allowed',
      [...BASE, '  "no spaces": { model: m, destination: d, object: user, key: id }'],
      13,
      /^sync name "no spaces" is not allowed$/,
      /letters, digits/,
    ],
    [
      'two syncs with one name',
      [...BASE, '  s: { model: m, destination: d, object: user, key: id }'],
      13,
      /^two syncs named "s" \(the first on line 8\)$/,
      /rename or remove one/,
    ],
    [
      'unknown source type',
      [...BASE, 'sources2: 1'].map((l) => l.replace('type: duckdb', 'type: duckbd')).slice(0, 12),
      2,
      /^source "w" has unknown type "duckbd"$/,
      /did you mean "duckdb"\?/,
    ],
    [
      'unknown key in a source',
      BASE.map((l) => l.replace('path: w.duckdb', 'path: w.duckdb, paht: x')),
      2,
      /^unknown key "paht" in source "w"$/,
      /did you mean "path"\?/,
    ],
    [
      'missing key in a source',
      BASE.map((l) => l.replace(', path: w.duckdb', '')),
      2,
      /^path of source "w" is missing$/,
      /add path: to source "w"/,
    ],
    [
      'bad sslmode',
      ['sources:', '  p: { type: postgres, url: "postgres://h/db", sslmode: requre }'],
      2,
      /^sslmode of source "p" is "requre"; it must be one of: disable, allow, prefer, require, verify-ca, verify-full$/,
      /did you mean "require"\?/,
    ],
    [
      'bad statement_timeout',
      ['sources:', '  p:', '    type: mysql', '    url: "mysql://h/db"', '    statement_timeout: soon'],
      5,
      /^statement_timeout of source "p" must be a duration such as 30s/,
      /whole number followed by ms, s, m, h or d/,
    ],
    [
      'wrong URL scheme',
      ['sources:', '  p: { type: mysql, url: "postgres://u:pw@h/db" }'],
      2,
      /^url of source "p" is not a mysql:\/\/ URL \(not shown: it may hold a password\)$/,
      /mysql:\/\/USER:PASSWORD@HOST:3306\/DB/,
    ],
    [
      'model with an unknown source',
      BASE.map((l) => l.replace('source: w', 'source: x')),
      4,
      /^model "m" reads from source "x", which is not defined$/,
      /use one of: w/,
    ],
    [
      'model with sql and file',
      BASE.map((l) => l.replace('sql: select 1', 'sql: select 1, file: m.sql')),
      4,
      /^model "m" has both sql and file$/,
      /keep one of them/,
    ],
    [
      'model with neither sql nor file',
      BASE.map((l) => l.replace(', sql: select 1', '')),
      4,
      /^model "m" has neither sql nor file$/,
      /add sql:/,
    ],
    [
      'unknown destination type',
      BASE.map((l) => l.replace('type: segment', 'type: hubspot')),
      6,
      /^destination "d" has unknown type "hubspot"$/,
      /use one of: segment/,
    ],
    [
      'destination setting',
      [
        ...BASE.slice(0, 5),
        '  d:',
        '    type: segment',
        '    write_key: k',
        '    region: mars',
        ...BASE.slice(6),
      ],
      9,
      /^destination "d": region must be "us" or "eu"$/,
      /region: us or region: eu/,
    ],
    [
      'unknown sync key',
      [...BASE, '    nuls: skip'],
      13,
      /^unknown key "nuls" in sync "s"$/,
      /did you mean "nulls"\?/,
    ],
    [
      'unknown object',
      withObject('users', 'id'),
      11,
      /^object of sync "s" is "users"; it must be one of: user, group, event$/,
      /did you mean "user"\?/,
    ],
    [
      'unknown model',
      BASE.map((l) => l.replace('model: m', 'model: n')),
      9,
      /^model of sync "s" is "n": no model has that name$/,
      /use one of: m/,
    ],
    [
      'wrong type',
      [...BASE, '    retry: { max_attempts: "3" }'],
      13,
      /^retry\.max_attempts of sync "s" must be a number, not text$/,
      /write a number such as 3/,
    ],
    ['missing key', BASE.slice(0, 11), 8, /^key of sync "s" is missing$/, /add key: \{ column: COLUMN \}/],
    [
      'key.field not allowed for the object',
      withObject('user', '{ column: id, field: groupId }'),
      12,
      /^key\.field of sync "s" is "groupId", which user keys cannot be$/,
      /use one of: userId, anonymousId/,
    ],
    [
      'key.field misspelt',
      withObject('group', '{ column: id, field: groupID }'),
      12,
      /^key\.field of sync "s" is "groupID", which group keys cannot be$/,
      /did you mean "groupId"\?/,
    ],
    [
      'key.field on an event sync',
      withObject('event', '{ column: id, field: userId }'),
      12,
      /^key\.field of sync "s" is set, but event keys have no field/,
      /remove key\.field/,
    ],
    [
      'key.field mapped again',
      [...BASE, '    mappings:', '      userId: other_id'],
      14,
      /^mappings\.userId of sync "s" sets userId, which the sync key already fills/,
      /remove this mapping/,
    ],
    [
      'mapping to a field the object lacks',
      [...BASE, '    mappings:', '      properties.plan: plan'],
      14,
      /^mappings\."properties\.plan" of sync "s" writes "properties", which user messages do not have$/,
      /use one of: userId, anonymousId, timestamp, traits, context, integrations/,
    ],
    [
      'mapping to a misspelt field',
      withObject('event', 'id', [
        '    mappings:',
        '      event: { constant: Signed Up }',
        '      propertes.plan: plan',
      ]),
      15,
      /writes "propertes", which event messages do not have$/,
      /did you mean "properties"\?/,
    ],
    [
      'two mappings to the same path',
      [
        ...BASE,
        '    mappings:',
        '      traits.email: email',
        '      traits.plan: plan',
        '      traits.email: mail',
      ],
      16,
      /^two mappings to the same path "traits\.email" \(the first on line 14\)$/,
      /keep one of them/,
    ],
    [
      'two spellings of one path',
      [...BASE, '    mappings:', '      traits.email: email', '      \'traits["email"]\': mail'],
      15,
      /^two mappings to the same path: "traits\.email" and "traits\["email"\]"$/,
      /keep one of them/,
    ],
    [
      'mapping path syntax',
      [...BASE, '    mappings:', '      traits..email: email'],
      14,
      /^mapping "traits\.\.email" has an empty field name at character 8$/,
      /traits\.address\.city/,
    ],
    [
      'mapping path with a space',
      [...BASE, '    mappings:', '      traits.first name: first_name'],
      14,
      /^mapping "traits\.first name" has a field name "first name" with spaces, quotes or brackets$/,
      /write it quoted: \["first name"\]/,
    ],
    [
      'mapping with two sources',
      [...BASE, '    mappings:', '      traits.x: { column: a, constant: 1 }'],
      14,
      /^mappings\."traits\.x" of sync "s" has both column and constant$/,
      /keep exactly one of column, constant, template/,
    ],
    [
      'mapping with no source',
      [...BASE, '    mappings:', '      traits.x: { nulls: skip }'],
      14,
      /has no column, constant or template$/,
      /add one of them/,
    ],
    [
      'mapping of a number',
      [...BASE, '    mappings:', '      traits.x: 3'],
      14,
      /must be a column name or \{ column \}, \{ constant \} or \{ template \}, not a number$/,
      /\{ constant: … \}/,
    ],
    [
      'json without a template',
      [...BASE, '    mappings:', '      traits.x: { column: a, json: true }'],
      14,
      /^json of mappings\."traits\.x" of sync "s" only applies to a template$/,
      /remove json/,
    ],
    [
      'template that does not parse',
      [...BASE, '    mappings:', '      traits.x: { template: "{{ a " }'],
      14,
      /^template of mappings\."traits\.x" of sync "s" does not parse: /,
      /fix the Liquid syntax/,
    ],
    [
      'bundle with include and exclude',
      [...BASE, '    bundle: { into: traits, include: [a], exclude: [b] }'],
      13,
      /^bundle of sync "s" has both include and exclude$/,
      /keep one/,
    ],
    [
      'bundle into a field the object lacks',
      [...BASE, '    bundle: { into: properties }'],
      13,
      /^bundle\.into of sync "s" writes "properties", which user messages do not have$/,
      /use one of/,
    ],
    // context.library is Sluice's (segment-objects.ts): writing it is a config error, not a silent drop.
    [
      'mapping to context.library.name',
      [...BASE, '    mappings:', '      context.library.name: lib'],
      14,
      /^mappings\."context\.library\.name" of sync "s" writes context\.library, which Sluice sets itself: Segment reads context\.library as the library that sent the message/,
      /remove it, or map the value to another field \(e\.g\. context\.source_library\)/,
    ],
    [
      'mapping to context.library',
      withObject('event', 'id', [
        '    mappings:',
        '      event: { constant: E }',
        '      context["library"]: { template: "{{ a }}", json: true }',
      ]),
      15,
      /writes context\.library, which Sluice sets itself/,
      /remove it/,
    ],
    [
      'a context constant holding library',
      [...BASE, '    mappings:', '      context: { constant: { ip: 1.2.3.4, library: { name: mine } } }'],
      14,
      /^mappings\.context of sync "s" writes context\.library, which Sluice sets itself/,
      /remove it/,
    ],
    [
      'bundle into context.library',
      [...BASE, '    bundle: { into: context.library }'],
      13,
      /^bundle\.into of sync "s" writes context\.library, which Sluice sets itself/,
      /remove it/,
    ],
    [
      'bundle of a column named library into context',
      [...BASE, '    bundle: { into: context, include: [ip, library] }'],
      13,
      /writes context\.library, which Sluice sets itself/,
      /remove it/,
    ],
    [
      'backfill on a user sync',
      [...BASE, '    backfill: false'],
      13,
      /^backfill of sync "s" only applies to event syncs$/,
      /remove it: user syncs always send every new or changed row/,
    ],
    [
      'cursor on a user sync',
      [...BASE, '    cursor: { column: updated_at }'],
      13,
      /^cursor of sync "s" only applies to event syncs$/,
      /remove it: user syncs read their whole model/,
    ],
    [
      'cursor lookback not a duration',
      withObject('event', 'order_id', [
        '    cursor:',
        '      column: occurred_at',
        '      lookback: an hour',
      ]),
      15,
      /^cursor\.lookback of sync "s" must be a duration such as 30s, 15m, 2h or 1d$/,
      /write a whole number followed by ms, s, m, h or d/,
    ],
    [
      'cursor without its column',
      withObject('event', 'order_id', ['    cursor: { lookback: 2h }']),
      13,
      /^cursor\.column of sync "s" is missing/,
      /./,
    ],
    [
      'bad diff',
      [...BASE, '    diff: duckdb'],
      13,
      /^diff of sync "s" is "duckdb"; it must be one of: warehouse, state$/,
      /use one of: warehouse, state/,
    ],
    [
      'diff: warehouse with a cursor',
      withObject('event', 'order_id', ['    cursor: { column: occurred_at }', '    diff: warehouse']),
      14,
      /^diff: warehouse of sync "s" does not apply with a cursor$/,
      /remove one of them/,
    ],
    [
      'bad nulls',
      [...BASE, '    nulls: drop'],
      13,
      /^nulls of sync "s" is "drop"; it must be one of: send, skip$/,
      /use one of: send, skip/,
    ],
    [
      'cron out of range',
      [...BASE, '    schedule: "61 * * * *"'],
      13,
      /^schedule of sync "s" is not a cron expression: invalid value for minute: 61$/,
      /five fields: minute hour day-of-month month day-of-week/,
    ],
    [
      'cron with a step of 0',
      [...BASE, '    schedule: { cron: "*/0 * * * *" }'],
      13,
      /^schedule\.cron of sync "s" is not a cron expression: syntax error, illegal stepping: 0$/,
      /\*\/steps/,
    ],
    [
      'cron stepping from a number',
      [...BASE, '    schedule: "5/5 * * * *"'],
      13,
      /^schedule of sync "s" is not a cron expression: syntax error, stepping with numeric prefix/,
      /e\.g\. "0 6 \* \* \*"/,
    ],
    [
      'cron that is not five fields',
      [...BASE, '    schedule: "daily at six"'],
      13,
      /^schedule of sync "s" has 3 field\(s\); cron needs 5/,
      /@daily/,
    ],
    [
      'cron that never fires',
      [...BASE, '    schedule: { cron: "0 0 31 2 *", timezone: Europe/Berlin }'],
      13,
      /^schedule\.cron of sync "s" never matches a date, so it would never run$/,
      /day-of-month/,
    ],
    [
      'cron with six fields',
      [...BASE, '    schedule: { cron: "0 0 6 * * *" }'],
      13,
      /^schedule\.cron of sync "s" has 6 field\(s\); cron needs 5/,
      /no seconds field/,
    ],
    [
      'unknown time zone',
      [...BASE, '    schedule: { cron: "0 6 * * *", timezone: Europe/Berln }'],
      13,
      /^schedule\.timezone of sync "s" is not a time zone$/,
      /IANA name/,
    ],
    [
      'time zone without cron',
      [...BASE, '    schedule: { every: 1h, timezone: UTC }'],
      13,
      /^timezone of schedule of sync "s" only applies to cron$/,
      /remove it/,
    ],
    [
      'two schedule kinds',
      [...BASE, '    schedule: { every: 1h, cron: "0 6 * * *" }'],
      13,
      /^schedule of sync "s" has both cron and every$/,
      /exactly one/,
    ],
    [
      'too frequent',
      [...BASE, '    schedule: every 500ms'],
      13,
      /^schedule of sync "s" must be at least 1s$/,
      /continuous/,
    ],
    [
      'bad interval',
      [...BASE, '    schedule: every fortnight'],
      13,
      /^schedule of sync "s" must be a duration/,
      /whole number followed by/,
    ],
    [
      'after an unknown sync',
      [...BASE, '    schedule: { after: [t] }'],
      13,
      /^schedule\.after\[0\] of sync "s" is "t": no sync has that name$/,
      /use one of: s/,
    ],
    [
      'after itself',
      [...BASE, '    schedule: { after: s }'],
      13,
      /^sync "s" is scheduled after itself$/,
      /name another sync/,
    ],
    [
      'retry max_age',
      [...BASE, '    retry: { max_age: 0s }'],
      13,
      /^retry\.max_age of sync "s" must be longer than 0$/,
      /7d/,
    ],
    [
      'unknown retry key',
      [...BASE, '    retry: { attempts: 3 }'],
      13,
      /^unknown key "attempts" in retry of sync "s"$/,
      /did you mean "max_attempts"\?/,
    ],
    ['state', ['state: "sqlite:"'], 1, /^state "sqlite:" has no path$/, /sqlite:PATH/],
    [
      'malformed variable',
      ['state: "sqlite:${HOME:-x}"'],
      1,
      /^"\$\{HOME:-x\}" is not a variable reference$/,
      /\$\{NAME\}/,
    ],
  ])('%s', (_, lines, line, message, fix) => {
    const found = problems(lines);
    expect(found, JSON.stringify(found, null, 2)).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: 'sluice.yaml', line });
    expect(found[0]?.message).toMatch(message);
    expect(found[0]?.fix).toMatch(fix);
  });

  describe('writeback: { source, table } (SPEC §7)', () => {
    /** BASE with more sources (lines 3–5) before models: the sync's key is then line 15. */
    const withSources = (more: string[], writeback: string[]): string[] => [
      ...BASE.slice(0, 2),
      ...more,
      ...BASE.slice(2),
      ...writeback,
    ];
    const SOURCES = [
      '  f: { type: files }',
      '  l: { type: sqlite, path: l.db }',
      '  mem: { type: duckdb, path: ":memory:" }',
    ];

    it('takes a duckdb file, postgres or mysql source and a plain or schema-qualified table', () => {
      const sync = parse([...BASE, '    writeback: { source: w, table: analytics.sluice_sync_log }']).syncs.s;
      expect(sync?.writeback).toEqual({ source: 'w', table: 'analytics.sluice_sync_log', line: 13 });
    });

    it.each<[string, string[], number, RegExp, RegExp]>([
      [
        'an unknown source',
        [...BASE, '    writeback: { source: wh, table: log }'],
        13,
        /^writeback\.source of sync "s" is "wh": no source has that name$/,
        /use one of: w/,
      ],
      [
        'a files source',
        withSources(SOURCES, ['    writeback: { source: f, table: log }']),
        16,
        /is "f", a files source, which Sluice cannot write$/,
        /duckdb \(on a file\), postgres or mysql/,
      ],
      [
        'a sqlite source',
        withSources(SOURCES, ['    writeback:', '      source: l', '      table: log']),
        17,
        /is "l", a sqlite source, which Sluice cannot write$/,
        /duckdb \(on a file\), postgres or mysql/,
      ],
      [
        'an in-memory DuckDB',
        withSources(SOURCES, ['    writeback: { source: mem, table: log }']),
        16,
        /an in-memory DuckDB, which keeps nothing$/,
        /duckdb source on a file/,
      ],
      [
        'a table name that needs quoting',
        [...BASE, '    writeback:', '      source: w', '      table: sync-log'],
        15,
        /^writeback\.table of sync "s" is "sync-log": not a plain name: letters, digits and _/,
        /table: sluice_sync_log/,
      ],
      [
        'a table name of three parts',
        [...BASE, '    writeback: { source: w, table: a.b.c }'],
        13,
        /is "a\.b\.c": more than two parts: write NAME or SCHEMA\.NAME$/,
        /table: analytics\.sluice_sync_log/,
      ],
      [
        'no table',
        [...BASE, '    writeback: { source: w }'],
        13,
        /^writeback\.table of sync "s" is missing$/,
        /add table: to writeback/,
      ],
      [
        'an unknown key',
        [...BASE, '    writeback: { source: w, table: log, tabel: x }'],
        13,
        /unknown key "tabel"/,
        /did you mean "table"\?/,
      ],
    ])('%s', (_, lines, line, message, fix) => {
      const found = problems(lines);
      expect(found, JSON.stringify(found, null, 2)).toHaveLength(1);
      expect(found[0]).toMatchObject({ file: 'sluice.yaml', line });
      expect(found[0]?.message).toMatch(message);
      expect(found[0]?.fix).toMatch(fix);
    });
  });

  it('reports a cycle of after schedules once', () => {
    const found = problems([
      ...BASE,
      '    schedule: { after: t }',
      '  t: { model: m, destination: d, object: user, key: id, schedule: { after: [s] } }',
    ]);
    expect(found).toEqual([
      {
        file: 'sluice.yaml',
        line: 13,
        message: 'schedule after forms a cycle: s → t → s',
        fix: 'break the cycle: give one of them a cron, every or continuous schedule',
      },
    ]);
  });

  it('reports every problem in file order, not only the first', () => {
    const found = problems([
      'sources:',
      '  w: { type: duckdb }',
      'models:',
      '  m: { source: v, sql: select 1 }',
      ...BASE.slice(4, 10),
      '    object: usr',
      '    key: { colum: id }',
      '    mappings: { nope: x }',
    ]);
    expect(found.map((p) => p.line)).toEqual([2, 4, 11, 12, 12]);
  });
});

describe('schedule problems', () => {
  it.each([
    '"61 * * * *"',
    '"every fortnight"',
    'every 500ms',
    '{ cron: "0 0 6 * * *" }',
    '"0 0 31 2 *"',
    '{ cron: "*/0 * * * *" }',
    '{ cron: "0 6 * * *", timezone: Europe/Berln }',
    '{ every: 1h, timezone: UTC }',
    '{ every: 1h, cron: "0 6 * * *" }',
    '{ crn: "0 6 * * *" }',
    '{}',
    '[daily]',
    'dayly',
    '42',
  ])('name every accepted form: schedule: %s', (value) => {
    const found = problems([...BASE, `    schedule: ${value}`]);
    expect(found.length).toBeGreaterThan(0);
    for (const problem of found) {
      expect(problem.line).toBe(13);
      expect(problem.fix).toContain('a cron expression ("0 6 * * *")');
      expect(problem.fix).toContain('{ cron: "0 6 * * *", timezone: Europe/Berlin }');
      expect(problem.fix).toContain('"every 15m" (or { every: 15m })');
      expect(problem.fix).toContain('continuous');
      expect(problem.fix).toContain('{ after: [other-sync] }');
    }
  });
});

describe('sluice.yaml forms that are accepted', () => {
  it('parses every schedule form', () => {
    const ws = parse([
      ...BASE,
      '    schedule: "@daily"',
      '  a: { model: m, destination: d, object: user, key: id, schedule: every 15m }',
      '  b: { model: m, destination: d, object: user, key: id, schedule: { every: 1h30m } }',
      '  c: { model: m, destination: d, object: user, key: id, schedule: continuous }',
      '  e: { model: m, destination: d, object: user, key: id, schedule: { cron: "0  6 * * mon-fri", timezone: Europe/Berlin } }',
      '  f: { model: m, destination: d, object: user, key: id, schedule: { after: [a, b] } }',
      '  g: { model: m, destination: d, object: user, key: id, schedule: { after: c } }',
      '  h: { model: m, destination: d, object: user, key: id, schedule: "0 9 L * *" }',
      '  i: { model: m, destination: d, object: user, key: id, schedule: "0 9 13 * fri" }',
    ]);
    expect(Object.fromEntries(Object.entries(ws.syncs).map(([name, sync]) => [name, sync.schedule]))).toEqual(
      {
        s: { kind: 'cron', cron: '0 0 * * *' },
        a: { kind: 'every', everyMs: 15 * 60_000 },
        b: { kind: 'every', everyMs: 90 * 60_000 },
        c: { kind: 'continuous' },
        e: { kind: 'cron', cron: '0 6 * * mon-fri', timezone: 'Europe/Berlin' },
        f: { kind: 'after', syncs: ['a', 'b'] },
        g: { kind: 'after', syncs: ['c'] },
        h: { kind: 'cron', cron: '0 9 L * *' },
        i: { kind: 'cron', cron: '0 9 13 * fri' },
      },
    );
  });

  it('parses connection settings, retry, per-mapping nulls and constants', () => {
    const ws = parse([
      'sources:',
      '  w: { type: duckdb, path: w.duckdb }',
      '  p: { type: postgres, url: "postgresql://h/db", sslmode: verify-full, statement_timeout: 30s }',
      '  my: { type: mysql, url: "mysql://h/db", statement_timeout: 1500 }',
      '  l: { type: sqlite, path: ../shared/app.sqlite }',
      ...BASE.slice(2),
      '    retry: { max_attempts: 5, max_age: 7d }',
      '    nulls: skip',
      '    mappings:',
      '      traits.a: { column: a, nulls: send }',
      '      traits.tags[0]: { constant: [x, 1, true, null] }',
      '      traits.json: { template: "{{ a | json }}", json: true }',
    ]);
    expect(ws.sources.p).toMatchObject({
      type: 'postgres',
      sslmode: 'verify-full',
      statementTimeoutMs: 30_000,
    });
    expect(ws.sources.my).toMatchObject({ type: 'mysql', statementTimeoutMs: 1500 });
    expect(ws.sources.l).toEqual({ type: 'sqlite', path: '/shared/app.sqlite' });
    const sync = ws.syncs.s!;
    expect(sync.retry).toEqual({ maxAttempts: 5, maxAgeMs: 7 * 86_400_000 });
    expect(sync.nulls).toBe('skip');
    expect(sync.mappings).toEqual([
      { path: 'traits.a', source: { kind: 'column', column: 'a' }, nulls: 'send', line: 19 },
      { path: 'traits.tags[0]', source: { kind: 'constant', value: ['x', 1, true, null] }, line: 20 },
      { path: 'traits.json', source: { kind: 'template', template: '{{ a | json }}', json: true }, line: 21 },
    ]);
  });

  it('accepts event and membership syncs with their own key fields and backfill', () => {
    const ws = parse([
      ...withObject('event', 'order_id', [
        '    backfill: false',
        '    mappings: { event: { constant: Paid }, userId: uid, \'properties["a b"]\': ab }',
      ]),
      '  members: { model: m, destination: d, object: group, key: { column: uid, field: userId }, mappings: { groupId: gid } }',
    ]);
    expect(ws.syncs.s).toMatchObject({ object: 'event', key: { column: 'order_id' }, backfill: false });
    expect(ws.syncs.s?.mappings.map((m) => m.path)).toEqual(['event', 'userId', 'properties["a b"]']);
    expect(ws.syncs.members?.key).toEqual({ column: 'uid', field: 'userId' });
  });

  it('accepts diff: warehouse or state, and leaves it out unless given', () => {
    const ws = parse([
      ...BASE,
      '    diff: state',
      '  other: { model: m, destination: d, object: user, key: { column: id, field: userId }, diff: warehouse }',
      '  plain: { model: m, destination: d, object: user, key: { column: id, field: userId } }',
    ]);
    expect(ws.syncs.s?.diff).toBe('state');
    expect(ws.syncs.other?.diff).toBe('warehouse');
    expect(ws.syncs.plain).not.toHaveProperty('diff');
  });

  it('accepts an event cursor, its lookback an hour unless given', () => {
    const ws = parse([
      ...withObject('event', 'order_id', ['    cursor: { column: occurred_at, lookback: 90m }']),
      '  late: { model: m, destination: d, object: event, key: order_id, cursor: loaded_at }',
    ]);
    expect(ws.syncs.s?.cursor).toEqual({ column: 'occurred_at', lookbackMs: 90 * 60_000, line: 13 });
    expect(ws.syncs.late?.cursor).toEqual({ column: 'loaded_at', lookbackMs: 3_600_000, line: 14 });
  });

  it('accepts context mappings beside context.library: other fields, constants without it, bundles', () => {
    const ws = parse([
      ...BASE,
      '    mappings:',
      '      context.ip: ip',
      '      context.library_name: lib',
      '      context.app: { constant: { library: mine } }',
      '      traits.library: lib',
      '    bundle: { into: context, include: [locale] }',
    ]);
    expect(ws.syncs.s?.mappings.map((m) => m.path)).toEqual([
      'context.ip',
      'context.library_name',
      'context.app',
      'traits.library',
    ]);
  });
});
