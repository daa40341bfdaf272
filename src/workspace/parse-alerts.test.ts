// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../core/errors.js';
import { Secret, type Workspace } from '../core/workspace.js';
import { configProblems } from './config-problems.case.js';
import { parseWorkspace } from './load-workspace.js';
import { alertRuleId, formatDuration } from './parse-alerts.js';
import { webhookSecretKey } from './parse-notify.js';

// Lines 1–14: a valid workspace with two notify targets and a sync "s" ending at its key; cases
// append lines 15 onwards, at the top level (or inside "s" when indented by four spaces).
const BASE = [
  'notify:',
  '  ops: { type: webhook, url: "https://hooks.example.com/sluice?token=tok_abc", secret: "${SECRET}" }',
  '  team: { type: slack, url: "${SLACK_URL}" }',
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

// The test vector's secret (service-notes §4): 24 bytes.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ENV = { SECRET, SLACK_URL: 'https://hooks.slack.example/services/T0/B0/xyzSECRET' };

/** BASE with the sync's lines last, so `syncLines` land inside sync "s" and `top` before it. */
function workspace(top: string[], syncLines: string[] = []): string[] {
  return [...BASE.slice(0, 3), ...top, ...BASE.slice(3), ...syncLines];
}

function parse(lines: string[], env: NodeJS.ProcessEnv = ENV): Workspace {
  return parseWorkspace(lines.join('\n'), { dir: '/ws', file: '/ws/sluice.yaml', env });
}

function problems(lines: string[], env: NodeJS.ProcessEnv = ENV): ConfigProblem[] {
  return configProblems(() => parse(lines, env));
}

/** The one problem of a workspace, checked to be the only one. */
function problem(lines: string[], env: NodeJS.ProcessEnv = ENV): ConfigProblem {
  const found = problems(lines, env);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('notify', () => {
  it('reads webhook and slack targets, their URLs and secret kept as Secrets', () => {
    const ws = parse(workspace([]));
    const ops = ws.notify!.ops!;
    const team = ws.notify!.team!;
    expect(ops).toEqual({
      name: 'ops',
      type: 'webhook',
      url: expect.any(Secret),
      secret: expect.any(Secret),
      line: 2,
    });
    expect(ops.type === 'webhook' && ops.url.reveal()).toBe('https://hooks.example.com/sluice?token=tok_abc');
    expect(ops.type === 'webhook' && ops.secret?.reveal()).toBe(SECRET);
    expect(team).toEqual({ name: 'team', type: 'slack', url: expect.any(Secret), line: 3 });
    expect(team.url.reveal()).toBe(ENV.SLACK_URL);
    // Nothing secret survives being printed as JSON.
    expect(JSON.stringify(ws)).not.toMatch(/tok_abc|xyzSECRET|MfKQ9r8/);
  });

  it('is optional, and a webhook needs no secret', () => {
    const ws = parse([
      'notify:',
      '  hook: { type: webhook, url: "http://127.0.0.1:9000/in" }',
      ...BASE.slice(3),
    ]);
    expect(ws.notify?.hook).toEqual({ name: 'hook', type: 'webhook', url: expect.any(Secret), line: 2 });
    expect(parse(BASE.slice(3)).notify).toBeUndefined();
    expect(parse(BASE.slice(3)).webhooks).toBeUndefined();
  });

  it('reports a wrong type, URL or secret without quoting the URL or secret', () => {
    const at = (target: string, env: NodeJS.ProcessEnv = ENV) =>
      problem(['notify:', `  t: ${target}`, ...BASE.slice(3)], env);
    expect(at('{ type: webhok, url: "https://h.example/x" }')).toEqual({
      file: 'sluice.yaml',
      line: 2,
      message: 'notify target "t" has unknown type "webhok"',
      fix: 'did you mean "webhook"?',
    });
    expect(at('{ url: "https://h.example/x" }')).toMatchObject({
      message: 'notify target "t" has no type',
      fix: 'add type: one of webhook, slack',
    });
    const ftp = at('{ type: webhook, url: "ftp://user:pw@h.example/x" }');
    expect(ftp.message).toBe(
      'url of notify target "t" is not a http:// or https:// URL (not shown: it may hold a password)',
    );
    expect(JSON.stringify(ftp)).not.toContain('pw@');
    const bad = at('{ type: webhook, url: "https://h.example/x", secret: "${S}" }', { S: 'whsec_c2hvcnQ=' });
    expect(bad).toMatchObject({
      line: 2,
      message: expect.stringMatching(
        /^secret of notify target "t" must be whsec_ followed by the base64 of 24 to 64/,
      ),
      fix: expect.stringContaining('openssl rand -base64 32'),
    });
    expect(JSON.stringify(bad)).not.toContain('c2hvcnQ');
    expect(at('{ type: slack, url: "https://h.example/x", secret: x }')).toMatchObject({
      message: 'notify target "t" is a slack target, which takes no secret: its URL is the credential',
    });
    expect(at('{ type: slack, url: "https://h.example/x", chanel: x }')).toMatchObject({
      message: 'unknown key "chanel" in notify target "t"',
    });
    expect(at('https://h.example/x')).toMatchObject({
      message: 'notify target "t" must be a mapping, not text',
    });
    expect(problem(['notify: [a]', ...BASE.slice(3)])).toMatchObject({
      line: 1,
      message: 'notify must be a mapping of notify target name → notify target, not a list',
    });
  });

  it('knows a whsec secret: 24 to 64 bytes of strict base64', () => {
    expect(webhookSecretKey(SECRET)?.length).toBe(24);
    expect(webhookSecretKey(`whsec_${Buffer.alloc(64, 7).toString('base64')}`)?.length).toBe(64);
    expect(webhookSecretKey(`whsec_${Buffer.alloc(65, 7).toString('base64')}`)).toBeUndefined();
    expect(webhookSecretKey(`whsec_${Buffer.alloc(23, 7).toString('base64')}`)).toBeUndefined();
    expect(webhookSecretKey(SECRET.slice('whsec_'.length))).toBeUndefined();
    expect(webhookSecretKey(`${SECRET.slice(0, -1)}!`)).toBeUndefined();
    expect(webhookSecretKey(`${SECRET}=`)).toBeUndefined();
  });
});

describe('alerts', () => {
  const SPEC_ALERTS = [
    'alerts:',
    '  - { when: run_failed, notify: [team] }',
    '  - { when: failed_rows, over: 5%, notify: [ops] }',
    '  - { when: invalid_rows, over: 10%, notify: [ops] }',
    '  - { when: runtime, over: 30m, notify: [ops] }',
    '  - { when: zero_rows, notify: [ops] }',
    '  - { when: row_count_change, over: 50%, last_runs: 5, notify: [ops] }',
  ];

  it("reads SPEC §7's alerts into every sync, each with its canonical id", () => {
    const ws = parse(workspace(SPEC_ALERTS));
    expect(ws.syncs.s!.alerts).toEqual([
      { id: 'run_failed', when: 'run_failed', notify: ['team'], line: 5 },
      { id: 'failed_rows over 5%', when: 'failed_rows', over: 0.05, notify: ['ops'], line: 6 },
      { id: 'invalid_rows over 10%', when: 'invalid_rows', over: 0.1, notify: ['ops'], line: 7 },
      { id: 'runtime over 30m', when: 'runtime', over: 1_800_000, notify: ['ops'], line: 8 },
      { id: 'zero_rows', when: 'zero_rows', notify: ['ops'], line: 9 },
      {
        id: 'row_count_change over 50% of the last 5 runs',
        when: 'row_count_change',
        over: 0.5,
        lastRuns: 5,
        notify: ['ops'],
        line: 10,
      },
    ]);
  });

  it('writes ids the same for the same rule however it is spelt', () => {
    const ws = parse(
      workspace([
        'alerts:',
        '  - { when: runtime, over: 90m, notify: ops }',
        '  - { when: failed_rows, over: 2.50%, notify: [ops, ops] }',
        '  - { when: row_count_change, over: 150%, notify: [ops] }',
      ]),
    );
    expect(ws.syncs.s!.alerts!.map((a) => [a.id, a.over, a.notify])).toEqual([
      ['runtime over 1h30m', 5_400_000, ['ops']],
      ['failed_rows over 2.5%', 0.025, ['ops']],
      ['row_count_change over 150% of the last 5 runs', 1.5, ['ops']],
    ]);
    expect(alertRuleId({ when: 'failed_rows', over: 0.07 })).toBe('failed_rows over 7%');
    expect(alertRuleId({ when: 'runtime', over: 90_000 })).toBe('runtime over 1m30s');
    expect(alertRuleId({ when: 'row_count_change', over: 0.5, lastRuns: 3 })).toBe(
      'row_count_change over 50% of the last 3 runs',
    );
    expect(formatDuration(86_400_000 + 1000)).toBe('1d1s');
  });

  it("puts the top level's alerts first, then the sync's, merging one rule written at both levels", () => {
    const ws = parse(
      workspace(
        ['alerts:', '  - { when: run_failed, notify: [team] }', '  - { when: zero_rows, notify: [ops] }'],
        [
          '    alerts:',
          '      - { when: failed_rows, over: 5%, notify: [ops] }',
          '      - { when: run_failed, notify: [ops, team] }',
        ],
      ),
    );
    expect(ws.syncs.s!.alerts!.map((a) => [a.id, a.notify, a.line])).toEqual([
      ['run_failed', ['team', 'ops'], 5],
      ['zero_rows', ['ops'], 6],
      ['failed_rows over 5%', ['ops'], 20],
    ]);
  });

  it('leaves a sync without any alerts with none', () => {
    expect(parse(workspace([])).syncs.s!.alerts).toBeUndefined();
    expect(parse(workspace(['alerts: []'])).syncs.s!.alerts).toBeUndefined();
  });

  it.each<[string, string, RegExp, RegExp]>([
    [
      'misspelt kind',
      '{ when: failed_row, over: 5%, notify: [ops] }',
      /^alerts\[0\]\.when is "failed_row"; it must be one of: run_failed, failed_rows, invalid_rows, runtime, zero_rows, row_count_change$/,
      /did you mean "failed_rows"\?/,
    ],
    [
      'missing kind',
      '{ over: 5%, notify: [ops] }',
      /^alerts\[0\]\.when is missing$/,
      /add when: one of run_failed/,
    ],
    [
      'over on run_failed',
      '{ when: run_failed, over: 5%, notify: [ops] }',
      /^alerts\[0\]\.over is set, but run_failed has no threshold$/,
      /remove over: a run_failed alert is raised whenever a run fails/,
    ],
    [
      'over on zero_rows',
      '{ when: zero_rows, over: 0%, notify: [ops] }',
      /^alerts\[0\]\.over is set, but zero_rows has no threshold$/,
      /extracts no rows/,
    ],
    [
      'missing over',
      '{ when: failed_rows, notify: [ops] }',
      /^alerts\[0\]\.over is missing: failed_rows needs a threshold$/,
      /add over: 5%/,
    ],
    [
      'a bare number',
      '{ when: invalid_rows, over: 5, notify: [ops] }',
      /^alerts\[0\]\.over is a number; it must be a percentage above 0 such as 10%$/,
      /write it with a percent sign: over: 5%/,
    ],
    [
      'zero percent',
      '{ when: failed_rows, over: 0%, notify: [ops] }',
      /^alerts\[0\]\.over is "0%"; it must be a percentage above 0/,
      /write over: 5%/,
    ],
    [
      'a percentage that cannot be exceeded',
      '{ when: failed_rows, over: 100%, notify: [ops] }',
      /^alerts\[0\]\.over is "100%", which failed_rows can never exceed$/,
      /below 100%/,
    ],
    [
      'a percentage for runtime',
      '{ when: runtime, over: 5%, notify: [ops] }',
      /^alerts\[0\]\.over is "5%"; it must be a duration such as 30m, 2h or 90s$/,
      /followed by s, m, h or d/,
    ],
    [
      'a duration in milliseconds',
      '{ when: runtime, over: 500ms, notify: [ops] }',
      /must be a duration such as 30m/,
      /followed by s, m, h or d/,
    ],
    [
      'last_runs on another kind',
      '{ when: failed_rows, over: 5%, last_runs: 3, notify: [ops] }',
      /^alerts\[0\]\.last_runs is set, but only row_count_change compares with earlier runs$/,
      /remove last_runs:/,
    ],
    [
      'last_runs out of range',
      '{ when: row_count_change, over: 50%, last_runs: 101, notify: [ops] }',
      /^alerts\[0\]\.last_runs is a number; it must be a whole number from 1 to 100$/,
      /last_runs: 5/,
    ],
    [
      'last_runs not whole',
      '{ when: row_count_change, over: 50%, last_runs: 2.5, notify: [ops] }',
      /must be a whole number from 1 to 100/,
      /last_runs: 5/,
    ],
    [
      'a misspelt target',
      '{ when: zero_rows, notify: [opps] }',
      /^alerts\[0\]\.notify\[0\] is "opps": no notify target has that name$/,
      /did you mean "ops"\?/,
    ],
    [
      'no targets',
      '{ when: zero_rows, notify: [] }',
      /^alerts\[0\]\.notify must be a list of notify target names, not an empty list$/,
      /notify: \[ops\]/,
    ],
    ['missing notify', '{ when: zero_rows }', /^alerts\[0\]\.notify is missing$/, /notify: \[ops\]/],
    [
      'unknown key',
      '{ when: zero_rows, notfy: [ops], notify: [ops] }',
      /^unknown key "notfy" in alerts\[0\]$/,
      /did you mean "notify"\?/,
    ],
    [
      'not a mapping',
      'run_failed',
      /^alerts\[0\] must be a mapping, not text$/,
      /when: failed_rows, over: 5%/,
    ],
  ])('reports %s on its line, at the top level and in a sync', (_name, rule, message, fix) => {
    expect(problem(workspace(['alerts:', `  - ${rule}`]))).toEqual({
      file: 'sluice.yaml',
      line: 5,
      message: expect.stringMatching(message),
      fix: expect.stringMatching(fix),
    });
    const inSync = problem(workspace([], ['    alerts:', `      - ${rule}`]));
    expect(inSync).toMatchObject({
      line: 17,
      message: expect.stringContaining('alerts[0]'),
      fix: expect.stringMatching(fix),
    });
    expect(inSync.message).toContain('of sync "s"');
  });

  it('reports the same rule twice in one list, and alerts that are not a list', () => {
    expect(
      problem(
        workspace([
          'alerts:',
          '  - { when: runtime, over: 60m, notify: [ops] }',
          '  - { when: runtime, over: 1h, notify: [team] }',
        ]),
      ),
    ).toEqual({
      file: 'sluice.yaml',
      line: 6,
      message: 'alerts[1] is "runtime over 1h" again (the first on line 5)',
      fix: 'remove one of them; list every target in one notify:',
    });
    expect(problem(workspace(['alerts: { when: run_failed }']))).toMatchObject({
      line: 4,
      message: 'alerts must be a list of alerts, not a mapping',
    });
    expect(problem(workspace([], ['    alerts: run_failed']))).toMatchObject({
      line: 16,
      message: 'alerts of sync "s" must be a list of alerts, not text',
    });
  });

  it('names the targets to define when there are none', () => {
    expect(problem([...BASE.slice(3), '    alerts: [{ when: run_failed, notify: [ops] }]'])).toMatchObject({
      message: 'alerts[0].notify[0] of sync "s" is "ops": no notify target has that name',
      fix: 'define it under notify:',
    });
  });

  it('is a known key at the top level and in a sync, with suggestions for misspellings', () => {
    expect(problem(workspace(['alert: []']))).toMatchObject({ line: 4, fix: 'did you mean "alerts"?' });
    expect(problem(workspace([], ['    alrets: []']))).toMatchObject({
      line: 16,
      fix: 'did you mean "alerts"?',
    });
  });
});

describe('webhooks', () => {
  it('reads which lifecycle events go to which targets', () => {
    const ws = parse(
      workspace(['webhooks: { notify: [ops], events: [run.started, run.completed, run.failed] }']),
    );
    expect(ws.webhooks).toEqual({
      notify: ['ops'],
      events: ['run.started', 'run.completed', 'run.failed'],
      line: 4,
    });
    const alerts = parse(
      workspace([
        'webhooks:',
        '  notify: [ops, team]',
        '  events: [alert.raised, alert.resolved, alert.raised]',
      ]),
    );
    expect(alerts.webhooks).toEqual({
      notify: ['ops', 'team'],
      events: ['alert.raised', 'alert.resolved'],
      line: 4,
    });
  });

  it('reports unknown events and targets, each on its line with a suggestion', () => {
    expect(
      problems(workspace(['webhooks:', '  notify: [opps]', '  events: [run.complete, started]'])),
    ).toEqual([
      {
        file: 'sluice.yaml',
        line: 5,
        message: 'webhooks.notify[0] is "opps": no notify target has that name',
        fix: 'did you mean "ops"?',
      },
      {
        file: 'sluice.yaml',
        line: 6,
        message: 'webhooks.events[0] is "run.complete", which is not an event',
        fix: 'did you mean "run.completed"?',
      },
      {
        file: 'sluice.yaml',
        line: 6,
        message: 'webhooks.events[1] is "started", which is not an event',
        fix: 'use one of: run.started, run.completed, run.failed, alert.raised, alert.resolved',
      },
    ]);
    expect(problem(workspace(['webhooks: { notify: [ops] }']))).toMatchObject({
      message: 'webhooks.events is missing',
      fix: expect.stringContaining('run.started, run.completed'),
    });
    expect(
      problem(workspace(['webhooks: { notify: [ops], events: [run.failed], evnts: [] }'])),
    ).toMatchObject({
      message: 'unknown key "evnts" in webhooks',
    });
    expect(problem(workspace(['webhoks: {}']))).toMatchObject({ fix: 'did you mean "webhooks"?' });
  });
});
