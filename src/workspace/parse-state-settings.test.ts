import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { configProblems } from './config-problems.case.js';
import { parseWorkspace } from './load-workspace.js';

// Lines 1–7: a valid workspace with no syncs; cases append lines 8 onwards.
const BASE = [
  'sources:',
  '  w: { type: duckdb, path: w.duckdb }',
  'models:',
  '  m: { source: w, sql: select 1 }',
  'destinations:',
  '  d: { type: segment, write_key: k }',
  'syncs: {}',
];

function parse(lines: string[], env: NodeJS.ProcessEnv = {}): Workspace {
  return parseWorkspace([...BASE, ...lines].join('\n'), { dir: '/ws', file: '/ws/sluice.yaml', env });
}

function problems(lines: string[]): ConfigProblem[] {
  return configProblems(() => parse(lines));
}

describe('workspace_id', () => {
  it('is read as written, or from the environment', () => {
    expect(parse(['workspace_id: 3f9a0c1d2e4b5a6f']).workspaceId).toBe('3f9a0c1d2e4b5a6f');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sluice.yaml's ${VAR} syntax.
    expect(parse(['workspace_id: "${WS_ID}"'], { WS_ID: 'ws_from-env' }).workspaceId).toBe('ws_from-env');
    expect(parse([]).workspaceId).toBeUndefined();
  });

  it('must be 8 to 64 plain characters, reported with its line', () => {
    for (const value of ['short', '"has space in it"', 'x'.repeat(65), '12345678', '[a, b]']) {
      expect(problems([`workspace_id: ${value}`])).toEqual([
        {
          file: 'sluice.yaml',
          line: 8,
          message: expect.stringMatching(/^workspace_id must be 8 to 64 letters, digits, "-" or "_"/),
          fix: expect.stringContaining('sluice init'),
        },
      ]);
    }
  });
});

describe('retention', () => {
  it('takes runs as a duration in s, m, h or d', () => {
    expect(parse(['retention: { runs: 30d }']).retention).toEqual({ runsMs: 30 * 86_400_000 });
    expect(parse(['retention:', '  runs: 1h30m']).retention).toEqual({ runsMs: 5_400_000 });
    expect(parse(['retention: { runs: 3600s }']).retention).toEqual({ runsMs: 3_600_000 });
    expect(parse([]).retention).toBeUndefined();
  });

  it('reports a bad duration, an unknown key and a missing runs with their lines', () => {
    expect(problems(['retention:', '  runs: 30 days'])).toEqual([
      {
        file: 'sluice.yaml',
        line: 9,
        message: expect.stringContaining('must be a duration such as 30d, 12h, 90m or 3600s'),
        fix: 'write a whole number followed by s, m, h or d',
      },
    ]);
    for (const value of ['500ms', '0s', '30']) {
      expect(problems([`retention: { runs: ${value} }`]).map((p) => p.line)).toEqual([8]);
    }
    expect(problems(['retention:', '  runs: 30d', '  run: 1d'])).toEqual([
      expect.objectContaining({ line: 10, message: expect.stringContaining('unknown key "run"') }),
    ]);
    expect(problems(['retention: {}'])).toEqual([
      expect.objectContaining({ line: 8, fix: 'write retention: { runs: 30d }' }),
    ]);
    expect(problems(['retention: 30d'])).toEqual([
      expect.objectContaining({ line: 8, message: expect.stringContaining('must be a mapping') }),
    ]);
  });

  it('is a known top-level key, and a misspelt one gets a suggestion', () => {
    expect(problems(['retension: { runs: 30d }'])).toEqual([
      expect.objectContaining({ line: 8, fix: expect.stringContaining('retention') }),
    ]);
  });
});
