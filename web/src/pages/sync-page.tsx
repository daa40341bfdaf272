import { useEffect, useRef, useState } from 'preact/hooks';
import type { Run, Sync } from '../api/client';
import { RunsChart } from '../components/charts';
import { DryRunPreview } from '../components/dry-run-preview';
import { Empty, ErrorNote, Loading, StatusBadge } from '../components/states';
import { followRun } from '../lib/follow-run';
import { count, duration, relative, when } from '../lib/format';
import { href } from '../lib/route';
import { useLoad } from '../lib/use-load';
import { canOperate, type Session } from '../session';

const CHART_RUNS = 30;

function mappingSource(source: Sync['mappings'][number]['source']): string {
  if ('column' in source) return `column ${source.column}`;
  if ('template' in source) return `template ${source.template}${source.json ? ' (JSON)' : ''}`;
  return `constant ${JSON.stringify(source.constant)}`;
}

type DryRunState =
  | { phase: 'idle' }
  | { phase: 'running'; runId: string; planned: number }
  | { phase: 'done'; run: Run }
  | { phase: 'failed'; error: Error };

/** One sync: its settings and mappings, its runs over time, and running it for real or dry. */
export function SyncPage({ session, name }: { session: Session; name: string }) {
  const loaded = useLoad(
    async (signal) => {
      const [sync, runs] = await Promise.all([
        session.client.get('/api/v1/syncs/{name}', { path: { name } }, signal),
        session.client.get('/api/v1/runs', { query: { sync: name, limit: CHART_RUNS } }, signal),
      ]);
      return { sync, runs: runs.items };
    },
    [name],
  );
  const [actionError, setActionError] = useState<Error | null>(null);
  const [dryRun, setDryRun] = useState<DryRunState>({ phase: 'idle' });
  const following = useRef<AbortController | null>(null);
  useEffect(() => () => following.current?.abort(), []);

  async function runNow() {
    setActionError(null);
    try {
      const queued = await session.client.requestRun(name, {});
      location.hash = href({ page: 'run', id: queued.run_id, status: '', key: '' });
    } catch (error) {
      setActionError(error as Error);
    }
  }

  async function startDryRun() {
    setActionError(null);
    following.current?.abort();
    const aborter = new AbortController();
    following.current = aborter;
    try {
      const queued = await session.client.requestRun(name, { dry_run: true });
      setDryRun({ phase: 'running', runId: queued.run_id, planned: 0 });
      const run = await followRun(
        session.client,
        queued.run_id,
        (counts) => setDryRun({ phase: 'running', runId: queued.run_id, planned: counts.planned }),
        aborter.signal,
      );
      setDryRun({ phase: 'done', run });
      loaded.reload();
    } catch (error) {
      if (!aborter.signal.aborted) setDryRun({ phase: 'failed', error: error as Error });
    }
  }

  if (loaded.error)
    return (
      <main id="main">
        <h1>{name}</h1>
        <ErrorNote error={loaded.error} retry={loaded.reload} />
      </main>
    );
  if (loaded.data === null)
    return (
      <main id="main">
        <h1>{name}</h1>
        <Loading what="the sync" />
      </main>
    );
  const { sync, runs } = loaded.data;
  const operate = canOperate(session);

  return (
    <main id="main">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href({ page: 'syncs' })}>Syncs</a> / <span aria-current="page">{sync.name}</span>
      </nav>
      <div class="page-head">
        <h1>{sync.name}</h1>
        {operate && (
          <div class="actions">
            <button type="button" onClick={runNow}>
              Run now
            </button>
            <button
              type="button"
              class="secondary"
              onClick={startDryRun}
              disabled={dryRun.phase === 'running'}
            >
              Dry run
            </button>
          </div>
        )}
      </div>
      {actionError && <ErrorNote error={actionError} />}

      {dryRun.phase === 'running' && (
        <p class="loading" role="status" aria-live="polite">
          Dry run going… {count(dryRun.planned)} planned so far.{' '}
          <a href={href({ page: 'run', id: dryRun.runId, status: '', key: '' })}>Open the run</a>
        </p>
      )}
      {dryRun.phase === 'failed' && <ErrorNote error={dryRun.error} retry={startDryRun} />}
      {dryRun.phase === 'done' && (
        <>
          {dryRun.run.status === 'failed' ? (
            <ErrorNote
              error={new Error(`The dry run failed: ${dryRun.run.error?.message ?? 'no reason given'}`)}
            />
          ) : (
            <DryRunPreview run={dryRun.run} />
          )}
          <p>
            <a href={href({ page: 'run', id: dryRun.run.run_id, status: '', key: '' })}>Open the dry run</a>
          </p>
        </>
      )}

      <section aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <dl class="settings">
          <dt>Object</dt>
          <dd>{sync.object}</dd>
          <dt>Model</dt>
          <dd>{sync.model}</dd>
          <dt>Destination</dt>
          <dd>{sync.destination}</dd>
          <dt>Key</dt>
          <dd>
            column <code>{sync.key.column}</code>
            {sync.key.field && (
              <>
                {' '}
                → <code>{sync.key.field}</code>
              </>
            )}
          </dd>
          <dt>Schedule</dt>
          <dd>{sync.schedule ?? 'manual'}</dd>
          <dt>Next run</dt>
          <dd title={when(sync.next_run_at)}>{sync.next_run_at ? relative(sync.next_run_at) : '—'}</dd>
          <dt>Nulls</dt>
          <dd>{sync.nulls}</dd>
          <dt>Backfill</dt>
          <dd>{sync.backfill ? 'yes' : 'no'}</dd>
          <dt>Retry</dt>
          <dd>
            {sync.retry.max_attempts === null ? 'no attempt limit' : `${sync.retry.max_attempts} attempts`}
            {sync.retry.max_age_ms !== null && `, for ${duration(sync.retry.max_age_ms)}`}
          </dd>
          {sync.bundle && (
            <>
              <dt>Bundle</dt>
              <dd>
                other columns into <code>{sync.bundle.into}</code>
              </dd>
            </>
          )}
          {sync.cursor && (
            <>
              <dt>Cursor</dt>
              <dd>
                <code>{sync.cursor.column}</code>, looking back {duration(sync.cursor.lookback_ms)}
              </dd>
            </>
          )}
          {sync.writeback && (
            <>
              <dt>Writeback</dt>
              <dd>
                <code>
                  {sync.writeback.source}.{sync.writeback.table}
                </code>
              </dd>
            </>
          )}
          <dt>Alerts</dt>
          <dd data-testid="sync-alerts">
            {sync.alerts.length === 0
              ? 'none'
              : sync.alerts.map((alert, index) => (
                  <span key={alert.rule}>
                    {index > 0 && ' · '}
                    {alert.rule} → {alert.notify.join(', ')}
                  </span>
                ))}{' '}
            (<a href={href({ page: 'alerts', sync: sync.name, state: '' })}>its alerts</a>)
          </dd>
        </dl>
      </section>

      <section aria-labelledby="mappings-title">
        <h2 id="mappings-title">Mappings</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">From</th>
                <th scope="col">Nulls</th>
              </tr>
            </thead>
            <tbody>
              {sync.mappings.map((mapping) => (
                <tr key={mapping.path}>
                  <td>
                    <code>{mapping.path}</code>
                  </td>
                  <td>{mappingSource(mapping.source)}</td>
                  <td>{mapping.nulls ?? sync.nulls}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        {runs.length === 0 ? (
          <Empty>
            No runs yet.{' '}
            {operate
              ? 'Run it now, or try a dry run first to see what it would send.'
              : 'An operator can run it.'}
          </Empty>
        ) : (
          <>
            <RunsChart runs={[...runs].reverse()} />
            <div class="table-wrap">
              <table class="runs">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col">Planned</th>
                    <th scope="col">Succeeded</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Invalid</th>
                    <th scope="col">Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((run) => (
                    <tr key={run.run_id}>
                      <td>
                        <a href={href({ page: 'run', id: run.run_id, status: '', key: '' })}>
                          {when(run.started_at)}
                        </a>
                        {run.dry_run && <span class="badge badge-dry"> dry run</span>}
                      </td>
                      <td>
                        <StatusBadge status={run.status} />
                      </td>
                      <td>{count(run.counts.planned)}</td>
                      <td>{count(run.counts.succeeded)}</td>
                      <td>{count(run.counts.failed)}</td>
                      <td>{count(run.counts.invalid)}</td>
                      <td>{run.duration_ms === null ? '—' : duration(run.duration_ms)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
    </main>
  );
}
