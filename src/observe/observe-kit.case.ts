// biome-ignore-all lint/suspicious/noTemplateCurlyInString: sluice.yaml's ${VAR} syntax, which keeps the URLs and secret out of the file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emptyCounts, type RunCounts, type RunSummary } from '../core/run.js';
import type { Workspace } from '../core/workspace.js';
import { openStateStore } from '../state/registry.js';
import type { StateStore } from '../state/state-store.js';
import { parseWorkspace } from '../workspace/load-workspace.js';

/** What the Notifier and Deliverer tests share: a real SQLite state, a workspace, runs in its history. */

/** A Standard Webhooks secret of 32 bytes, and the parts of URLs that are credentials. */
export const SECRET = `whsec_${Buffer.alloc(32, 0x5a).toString('base64')}`;
export const URL_TOKEN = 'tok_Q7x9SECRETslack';

export interface TestState {
  state: StateStore;
  dir: string;
  /** Closes the store and answers every byte of the state's files (db, WAL), for secret scans. */
  closeAndRead(): Promise<string>;
  close(): Promise<void>;
}

/** A state store as `sluice` opens it (SQLite on its own thread) in a fresh folder. */
export async function openTestState(): Promise<TestState> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-observe-'));
  const state = await openStateStore({ kind: 'sqlite', path: path.join(dir, 'state.db') });
  let closed = false;
  const close = async () => {
    if (!closed) await state.close();
    closed = true;
  };
  return {
    state,
    dir,
    close: async () => {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
    closeAndRead: async () => {
      await close();
      const files = await readdir(dir);
      const texts = await Promise.all(files.map((file) => readFile(path.join(dir, file), 'latin1')));
      return texts.join('\n');
    },
  };
}

/**
 * A workspace with a webhook target `ops` (signed, its URL carrying a token) and a Slack target
 * `team` on `baseUrl`, one sync "users", and `more` lines of YAML at the top level (alerts:,
 * webhooks:) and `syncMore` inside the sync.
 */
export function testWorkspace(baseUrl: string, more: string[], syncMore: string[] = []): Workspace {
  const text = [
    'notify:',
    '  ops: { type: webhook, url: "${OPS_URL}", secret: "${OPS_SECRET}" }',
    '  team: { type: slack, url: "${TEAM_URL}" }',
    ...more,
    'sources:',
    '  w: { type: duckdb, path: w.duckdb }',
    'models:',
    '  m: { source: w, sql: select 1 }',
    'destinations:',
    '  d: { type: segment, write_key: k }',
    'syncs:',
    '  users:',
    '    model: m',
    '    destination: d',
    '    object: user',
    '    key: id',
    ...syncMore,
  ].join('\n');
  return parseWorkspace(text, {
    dir: '/ws',
    file: '/ws/sluice.yaml',
    env: {
      OPS_URL: `${baseUrl}/hooks/ops?token=${URL_TOKEN}`,
      OPS_SECRET: SECRET,
      TEAM_URL: `${baseUrl}/services/T0/B0/${URL_TOKEN}`,
    },
  });
}

let lastStart = Date.now() - 86_400_000;

/** Starts a run of `sync` and finishes it with `counts` after `ms`; answers it as the history has it. */
export async function finishedRun(
  state: StateStore,
  options: {
    sync?: string;
    counts?: Partial<RunCounts>;
    status?: 'completed' | 'failed';
    ms?: number;
    dryRun?: boolean;
  } = {},
): Promise<RunSummary> {
  // A minute apart, in the past: the history lists runs newest first by their start.
  lastStart += 60_000;
  const startedAt = new Date(lastStart);
  const runId = await state.runs.start({
    sync: options.sync ?? 'users',
    fullResync: false,
    startedAt: startedAt.toISOString(),
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  const status = options.status ?? 'completed';
  await state.runs.finish(runId, {
    status,
    counts: { ...emptyCounts(), ...options.counts },
    finishedAt: new Date(startedAt.getTime() + (options.ms ?? 1000)).toISOString(),
    error: status === 'failed' ? { code: 'source_error', message: 'connection refused' } : null,
  });
  const run = await state.runs.get(runId);
  if (run === null) throw new Error(`run ${runId} is not in the history`);
  return run;
}

/** A stand-in for sluice/documents.ts's run document (observe may not import it): what events carry. */
export function documentOf(run: RunSummary): object {
  return {
    run_id: run.runId,
    sync: run.sync,
    status: run.status,
    counts: run.counts,
    duration_ms: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
    error: run.error,
  };
}
