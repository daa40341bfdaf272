// With --json, errors are one JSON document on stdout too (SPEC §4): a script that asked for JSON
// always gets JSON, `{"error": {"code", "message", "problems": [...]}}`, with the usual exit code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from './helpers/cli.js';
import { tempWorkspace, writeYaml } from './helpers/workspace.js';

interface ErrorDocument {
  error: { code: string; message: string; problems: { file: string; line: number; message: string }[] };
}

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace());
});
afterAll(async () => cleanup?.());

const VALID = `sources:
  warehouse: { type: duckdb, path: ":memory:" }
destinations:
  segment: { type: segment, write_key: k, endpoint: "http://127.0.0.1:9" }
models:
  users: { source: warehouse, sql: "select 1 as id" }
syncs:
  users-to-segment: { model: users, destination: segment, object: user, key: { column: id } }
`;

describe('--json errors', () => {
  it('an invalid workspace: every problem with its file and line, exit 2', async () => {
    await writeYaml(
      dir,
      VALID.replace('model: users', 'model: userz').replace('object: user', 'object: usr'),
    );
    for (const args of [
      ['check', '--json'],
      ['sync', 'list', '--json'],
      ['sync', 'run', 'users-to-segment', '--json'],
      ['runs', '--json'],
    ]) {
      const result = await sluice('-w', dir, ...args);
      expect(result.code).toBe(2);
      const { error } = result.json<ErrorDocument>();
      expect(error.code).toBe('config_invalid');
      expect(error.problems.map((p) => [p.file, p.line])).toEqual([
        ['sluice.yaml', 8],
        ['sluice.yaml', 8],
      ]);
      expect(error.problems.map((p) => p.message).join('\n')).toMatch(/"userz"[\s\S]*|"usr"/);
      expect(error.problems.some((p) => p.message.includes('"userz"'))).toBe(true);
      // People still read it on stderr.
      expect(result.stderr).toContain('2 problems in the workspace.');
    }
  });

  it('an unknown sync or run: not_found, exit 2', async () => {
    await writeYaml(dir, VALID);
    const unknownSync = await sluice('-w', dir, 'sync', 'run', 'nope', '--json');
    expect(unknownSync.code).toBe(2);
    expect(unknownSync.json<ErrorDocument>()).toEqual({
      error: {
        code: 'not_found',
        message: 'no sync named "nope" — the workspace has: users-to-segment',
        problems: [],
      },
    });
  });

  it('a usage error where --json was given: code usage, exit 2', async () => {
    await writeYaml(dir, VALID);
    const badLimit = await sluice('-w', dir, 'runs', '--json', '--limit', 'many');
    expect(badLimit.code).toBe(2);
    const { error } = badLimit.json<ErrorDocument>();
    expect(error.code).toBe('usage');
    expect(error.message).toContain('--limit');
    const badOption = await sluice('-w', dir, 'sync', 'list', '--json', '--colour');
    expect(badOption.code).toBe(2);
    expect(badOption.json<ErrorDocument>().error.message).toContain("unknown option '--colour'");
  });

  it('without --json, stdout stays empty', async () => {
    await writeYaml(dir, VALID);
    const result = await sluice('-w', dir, 'sync', 'run', 'nope');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no sync named "nope"');
  });
});
