/**
 * Runs the differential test's syncs through the real CLI into the real receiver and
 * gathers what arrived: `values` (keyed on `rid`, every generated column a trait), one `k_<column>`
 * per key column (keyed on that column, the row number as a trait) and `events` (a track per row:
 * the string column as the event name, `ev_ts` as its timestamp).
 */
import { expect } from 'vitest';
import type { ReceivedMessage, Receiver } from '../../src/receiver/receiver.js';
import type { SyncRunResult } from '../../src/sync/run-result.js';
import { sluice } from './cli.js';
import type { DiffColumn } from './diff-columns.js';
import { writeYaml } from './workspace.js';

/** An invalid row as `sluice records RUN --status invalid --json` lists it. */
export interface InvalidRecord {
  key: string | null;
  reason: string;
  message: string | null;
}

/** What one sync delivered and refused in one run. */
export interface SyncOutcome {
  result: SyncRunResult;
  messages: ReceivedMessage[];
  invalid: InvalidRecord[];
}

/**
 * Where the syncs find unchanged rows (`diff:`): `state` on every engine, `warehouse` where the
 * source can diff (DuckDB, files and PostgreSQL: sync/warehouse-diff.ts).
 */
export type DiffMode = 'state' | 'warehouse';

export const keySyncName = (column: string) => `k_${column}`;

/** sluice.yaml for the run: the source, model `t`, and the syncs above. */
export function diffYaml(
  source: string,
  modelSql: string,
  endpoint: string,
  columns: DiffColumn[],
  diff: DiffMode,
): string {
  const sync = (name: string, object: string, key: string, mappings: string[]) =>
    `  ${name}:\n    model: t\n    destination: segment\n    object: ${object}\n    key: { column: ${key}${object === 'user' ? ', field: userId' : ''} }\n    diff: ${diff}\n    mappings:\n${[
      ...mappings,
      `context.diffSync: { constant: ${name} }`,
    ]
      .map((m) => `      ${m}\n`)
      .join('')}`;
  const values = sync(
    'values',
    'user',
    'rid',
    columns.map((c) => `traits.${c.name}: ${c.name}`),
  );
  const keys = columns
    .filter((c) => c.key !== undefined)
    .map((c) => sync(keySyncName(c.name), 'user', c.name, ['traits.row: rid']));
  const events = sync('events', 'event', 'rid', [
    'event: s',
    'userId: { constant: diff-user }',
    'timestamp: ev_ts',
    'properties.row: rid',
  ]);
  return `sources:
  warehouse: ${source}
destinations:
  segment: { type: segment, write_key: diff-key, endpoint: "${endpoint}" }
models:
  t: { source: warehouse, sql: ${JSON.stringify(modelSql)} }
syncs:
${values}${keys.join('')}${events}`;
}

/** Runs every sync of the workspace once, in one CLI call, and collects what each one did. */
export async function runDiffSyncs(
  dir: string,
  yaml: string,
  receiver: Receiver,
  syncNames: string[],
): Promise<Map<string, SyncOutcome>> {
  await writeYaml(dir, yaml);
  receiver.reset();
  const run = await sluice('-w', dir, 'sync', 'run', ...syncNames, '--json');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const results = run.json<SyncRunResult[]>();
  expect(receiver.discards()).toEqual([]);
  const outcomes = new Map<string, SyncOutcome>();
  for (const result of results) {
    expect(result, `sync ${result.sync}`).toMatchObject({ status: 'completed', error: null });
    let invalid: InvalidRecord[] = [];
    // Each CLI call opens the workspace anew: ask for the invalid records only when there are some.
    if (result.counts.invalid > 0) {
      const records = await sluice(
        '-w',
        dir,
        'records',
        result.run_id,
        '--status',
        'invalid',
        '--json',
        '--limit',
        '100000',
      );
      expect(records.code).toBe(0);
      invalid = records.json<InvalidRecord[]>();
    }
    outcomes.set(result.sync, {
      result,
      messages: receiver
        .messages()
        .filter((m) => (m.context as Record<string, unknown> | undefined)?.diffSync === result.sync),
      invalid,
    });
  }
  return outcomes;
}
