// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
// Hostile sluice.yaml files: whatever is in (or at) the workspace file, loading it
// ends quickly in a Workspace or a ConfigError whose problems name the file and a line, never in a
// crash, a hang or an engine message. Complements load-workspace.test.ts (size limit, missing file,
// 150 problems) and yaml-tree.test.ts (syntax errors, alias bombs, 80-level nesting, tags).
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sluice } from '../../test/helpers/cli.js';
import { checkProperty, codeUnit } from '../../test/helpers/hostile-values.js';
import { spawnSluice } from '../../test/helpers/spawn-cli.js';
import { ConfigError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { loadWorkspace, parseWorkspace } from './load-workspace.js';
import { lineNestedPast } from './nesting-depth.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-hostile-yaml-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = { SEGMENT_WRITE_KEY: 'wk_hostile_yaml_secret_0123' };

/** A valid workspace as data; the tests break it in every place. */
const VALID = {
  state: 'sqlite:.sluice/state.db',
  sources: { warehouse: { type: 'duckdb', path: 'warehouse.duckdb' } },
  destinations: {
    segment: {
      type: 'segment',
      write_key: '${SEGMENT_WRITE_KEY}',
      endpoint: 'http://127.0.0.1:8787',
      concurrency: 2,
    },
  },
  models: { users: { source: 'warehouse', sql: 'select 1 as id' } },
  syncs: {
    'users-to-segment': {
      model: 'users',
      destination: 'segment',
      object: 'user',
      key: { column: 'id', field: 'userId' },
      mappings: {
        'traits.email': 'email',
        'traits.name': { template: '{{ first }} {{ last }}' },
        'context.source': { constant: 'warehouse' },
      },
      bundle: { into: 'traits', exclude: ['ssn'] },
      nulls: 'send',
      schedule: '*/15 * * * *',
      retry: { max_attempts: 5 },
    },
  },
};

/** Every path in VALID, objects and leaves alike. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function withValueAt(root: unknown, at: (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of at.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[at[at.length - 1] as string | number] = value;
  return copy;
}

/**
 * Parses `text` as sluice.yaml: a Workspace, or the ConfigError's problems, each checked to name
 * the file and a line inside it. Anything else thrown fails the test.
 */
function outcome(text: string): Workspace | ConfigError {
  const lines = text.split('\n').length;
  try {
    return parseWorkspace(text, { dir, file: 'sluice.yaml', env: ENV, readFile: () => 'select 1' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.file).toBe('sluice.yaml');
      expect(Number.isInteger(problem.line) && problem.line >= 0 && problem.line <= lines + 1).toBe(true);
      expect(problem.message.length).toBeGreaterThan(0);
      expect(problem.message).not.toMatch(/call stack|Cannot read prop|undefined is not|\bat .*\.js:\d+/);
      expect(problem.message).not.toContain(ENV.SEGMENT_WRITE_KEY);
    }
    return error as ConfigError;
  }
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = fn();
  return { result, ms: performance.now() - started };
}

describe('deep nesting, refused before yaml recurses', () => {
  const block = Array.from({ length: 1_400 }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
  it.each([
    ['flow sequences', `sources: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 1],
    ['flow mappings', `sources: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`, 1],
    ['unclosed flow, over lines', `state: x\nsources:\n  ${'[\n'.repeat(200_000)}`, 65],
    ['block sequence indicators', `sources:\n  ${'- '.repeat(200_000)}x\n`, 2],
    ['explicit keys', `${'? '.repeat(200_000)}x\n`, 1],
    ['block indentation', `${block}\n`, 65],
  ])('%s: a clear problem at its line, within a second', (_name, text, line) => {
    const { result, ms } = timed(() => outcome(text));
    expect(ms).toBeLessThan(1_000);
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).problems).toEqual([
      {
        file: 'sluice.yaml',
        line,
        message: 'values are nested more than 64 levels deep',
        fix: 'a workspace file needs a handful of levels: write the values out flat',
      },
    ]);
  });

  it('counts only structure: brackets in SQL, quotes, comments and block scalars are text', () => {
    const text = [
      'models:',
      '  users:',
      `    sql: select a[1], {b} from [x ${'['.repeat(200)}`,
      `    note: "${'['.repeat(200)}"`,
      `    other: '${'{'.repeat(200)}'`,
      `  # ${'['.repeat(200)}`,
      '  block: |',
      `    ${'['.repeat(200)}`,
      `  flow: [a, [b, {c: [d]}]]`,
      '',
    ].join('\n');
    expect(lineNestedPast(text, 6)).toBe(0);
    expect(lineNestedPast(text, 5)).toBe(9);
    expect(lineNestedPast('a:\n  - - - x\n', 4)).toBe(2);
    expect(lineNestedPast('a:\n  - - - x\n', 5)).toBe(0);
  });
});

describe('secrets in a broken sluice.yaml', () => {
  // Found by test/secrets.test.ts: liquidjs quotes an unparsable template back, so a template
  // holding a ${VAR} printed the variable's value (a write key) in the problem.
  it('does not quote a template from the environment in its parse error', () => {
    const text = stringify(
      withValueAt(VALID, ['syncs', 'users-to-segment', 'mappings', 'traits.name'], {
        template: '{{ ${SEGMENT_WRITE_KEY} }',
      }),
    );
    const result = outcome(text);
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).problems).toEqual([
      expect.objectContaining({
        message:
          'template of mappings."traits.name" of sync "users-to-segment" does not parse: a Liquid syntax error (not shown: the template holds text from the environment)',
      }),
    ]);
  });
});

describe('garbage in sluice.yaml', () => {
  it('random bytes and random text give a Workspace or located problems, nothing else', () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
      fc.string({ unit: codeUnit, maxLength: 2_000 }),
    );
    checkProperty(
      fc.property(garbage, (text) => {
        outcome(text);
      }),
      300,
    );
  });

  it('soup of YAML tokens gives a Workspace or located problems, quickly', () => {
    const token = fc.constantFrom(
      ...['\n', '  ', ' ', '\t', ': ', '- ', '? ', '[', ']', '{', '}', ', ', '&a ', '*a', '&b ', '*b'],
      ...['<<: ', '!!str ', '!!binary ', '!custom ', '|', '>-', '"', "'", '# c', '---\n', '...\n'],
      ...['%YAML 1.2\n', 'state', 'sources', 'syncs', 'models', 'destinations', 'mappings', 'key'],
      ...['type', 'segment', 'duckdb', '${SEGMENT_WRITE_KEY}', '${UNSET}', '$${', '__proto__'],
      ...['constructor', '~', 'null', 'true', '0x1F', '1e400', '-.inf', '.nan', '2001-12-14'],
      ...['\ufeff', '\u0000', '\ud800', '\r\n', 'users', 'id', 'userId', 'traits.email'],
    );
    checkProperty(
      fc.property(fc.array(token, { maxLength: 200 }), (tokens) => {
        const { ms } = timed(() => outcome(tokens.join('')));
        expect(ms).toBeLessThan(1_000);
      }),
      300,
    );
  });

  it('a wrong type anywhere gives located problems, never a crash', () => {
    const paths = pathsOf(VALID);
    const wrong = fc.constantFrom<unknown>(
      42,
      -0,
      1e300,
      true,
      null,
      [],
      {},
      '',
      'text',
      [1, [2, [3]]],
      { a: { b: { c: 1 } } },
      '${UNSET_VARIABLE}',
      'x'.repeat(100_000),
      '\u0000\ud800',
    );
    let refused = 0;
    checkProperty(
      fc.property(fc.constantFrom(...paths), wrong, (at, value) => {
        const text = stringify(withValueAt(VALID, at, value));
        if (outcome(text) instanceof ConfigError) refused++;
      }),
      300,
    );
    expect(refused).toBeGreaterThan(150);
  });

  it.each([
    ['NUL bytes', 'state: sqlite:a\u0000b\nsources: {}\n'],
    ['a byte-order mark', '\ufeffstate: sqlite:x.db\n'],
    ['CRLF line ends', 'state: sqlite:x.db\r\nsources:\r\n  w: { type: duckdb, path: x }\r\n'],
    ['an empty file', ''],
    ['a scalar', 'hello'],
    ['a list', '- a\n- b\n'],
    ['tab indentation', 'sources:\n\twarehouse: { type: duckdb }\n'],
    ['non-string keys', '? [a, b]\n: c\n1: x\nnull: y\ntrue: z\n'],
    ['anchors on keys', '&a sources: {}\n*a : 1\n'],
    ['a YAML 1.1 directive', '%YAML 1.1\n---\nstate: sqlite:x.db\n'],
    ['YAML types', 'state: !!timestamp 2001-12-14\nsources: !!set { a, b }\nmodels: !!omap [a: 1]\n'],
    [
      'prototype keys',
      '__proto__: { polluted: 1 }\nconstructor: 1\nsources: { __proto__: { type: duckdb } }\n',
    ],
    ['a 900 KB scalar', `state: "${'x'.repeat(900_000)}"\n`],
    [
      '100 aliases to a 99-item anchor',
      `a: &a [${Array(99).fill('1').join(',')}]\n${Array.from({ length: 100 }, (_, i) => `k${i}: *a`).join('\n')}\n`,
    ],
  ])('%s', (_name, text) => {
    const { ms } = timed(() => outcome(text));
    expect(ms).toBeLessThan(2_000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a file just under 1 MiB of entries is judged in seconds, its problems summed up', () => {
    const lines = ['sources:'];
    for (let length = 0; length < 1_000_000; ) {
      const line = `  s${lines.length}: { type: duckdb, path: "${'p'.repeat(30)}", x: 1 }`;
      lines.push(line);
      length += line.length + 1;
    }
    const text = `${lines.slice(0, -1).join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    const { result, ms } = timed(() => outcome(text));
    expect(ms).toBeLessThan(10_000);
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).problems).toHaveLength(100);
  });
});

describe('a sluice.yaml that is not a readable file', () => {
  async function workspaceWith(setup: (file: string) => Promise<void>): Promise<string> {
    const ws = await mkdtemp(path.join(dir, 'ws-'));
    await setup(path.join(ws, 'sluice.yaml'));
    return ws;
  }

  async function refusal(ws: string): Promise<ConfigError> {
    const started = performance.now();
    const error = await loadWorkspace(ws, { env: ENV }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('a directory', async () => {
    const ws = await workspaceWith((file) => mkdir(file));
    expect((await refusal(ws)).problems[0]).toMatchObject({ message: 'sluice.yaml is not a file' });
  });

  it('a named pipe nobody writes to: refused, not read forever', async () => {
    const ws = await workspaceWith(async (file) => {
      execFileSync('mkfifo', [file]);
    });
    expect((await refusal(ws)).problems[0]).toMatchObject({ message: 'sluice.yaml is not a file' });
  });

  it('a symlink loop and a dangling symlink', async () => {
    const loop = await workspaceWith(async (file) => {
      await symlink(file, file);
    });
    expect((await refusal(loop)).problems[0]?.message).toBe('sluice.yaml cannot be read (ELOOP)');
    const dangling = await workspaceWith((file) => symlink(path.join(dir, 'nowhere.yaml'), file));
    expect((await refusal(dangling)).problems[0]?.message).toMatch(/^there is no sluice\.yaml in /);
  });

  it.skipIf(process.getuid?.() === 0)(
    'a file without read permission (skipped as root, who reads anything)',
    async () => {
      const ws = await workspaceWith(async (file) => {
        await writeFile(file, 'state: sqlite:x.db\n');
        await chmod(file, 0o000);
      });
      expect((await refusal(ws)).problems[0]?.message).toMatch(/^sluice\.yaml cannot be read \(EACCES\)/);
    },
  );

  it('binary garbage on disk, read as UTF-8', async () => {
    const ws = await workspaceWith((file) =>
      writeFile(
        file,
        Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x3a, 0x20, 0x5b, 0xed, 0xa0, 0x80, 0x0a]),
      ),
    );
    const error = await refusal(ws);
    expect(error.problems[0]?.file).toBe('sluice.yaml');
  });
});

describe('hostile workspaces through the CLI', () => {
  /** Each: what to put at <workspace>/sluice.yaml. */
  const cases: [string, (file: string) => Promise<void>][] = [
    ['a directory', (file) => mkdir(file)],
    [
      'binary garbage',
      (file) => writeFile(file, Buffer.from([0x00, 0xff, 0x3a, 0x5b, 0x7b, 0x0a, 0x2d, 0x09])),
    ],
    ['deep nesting', (file) => writeFile(file, `sources: ${'['.repeat(300_000)}\n`)],
    ['an alias bomb', (file) => writeFile(file, bomb())],
    [
      'wrong types',
      (file) => writeFile(file, stringify(withValueAt(VALID, ['syncs', 'users-to-segment'], [1, 2]))),
    ],
    ['over 1 MiB', (file) => writeFile(file, `# ${'x'.repeat(1_100_000)}\n`)],
  ];

  function bomb(): string {
    let text = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    let previous = 'a';
    for (const name of 'bcdefghij') {
      text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]\n`;
      previous = name;
    }
    return text;
  }

  it.each(cases)(
    '%s: exit 2, the file named on stderr, no stack trace, nothing on stdout',
    async (_name, setup) => {
      const ws = await mkdtemp(path.join(dir, 'cli-'));
      await setup(path.join(ws, 'sluice.yaml'));
      for (const args of [
        ['check'],
        ['check', '--json'],
        ['sync', 'list', '--json'],
        ['sync', 'run', 'users-to-segment'],
      ]) {
        const started = performance.now();
        const result = await sluice('-w', ws, ...args);
        expect(performance.now() - started).toBeLessThan(3_000);
        expect(result.code).toBe(2);
        if (args.includes('--json')) {
          // SPEC §4: with --json, the error is one JSON document on stdout.
          const { error } = result.json<{ error: { code: string; problems: { file: string }[] } }>();
          expect(error.code).toBe('config_invalid');
          expect(error.problems[0]?.file).toBe('sluice.yaml');
        } else {
          expect(result.stdout).toBe('');
        }
        expect(result.stderr).toMatch(/^sluice\.yaml(:\d+)?: /);
        expect(result.stderr).toMatch(/\d+ problems? in the workspace\.\n$/);
        expect(result.stderr).not.toMatch(/unexpected error|\n\s+at |call stack/);
      }
    },
  );

  it('deep nesting as a real process: exit 2 and a clear line, not a fatal error or a long stall', async () => {
    const ws = await mkdtemp(path.join(dir, 'cli-'));
    await writeFile(path.join(ws, 'sluice.yaml'), `sources: ${'['.repeat(450_000)}${']'.repeat(450_000)}\n`);
    const started = performance.now();
    const run = await spawnSluice(['-w', ws, 'check']);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'sluice.yaml:1: values are nested more than 64 levels deep — a workspace file needs a handful of levels: write the values out flat\n1 problem in the workspace.\n',
    );
  });
});
