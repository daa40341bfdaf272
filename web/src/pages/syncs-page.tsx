import { useEffect, useState } from 'preact/hooks';
import type { Run, SyncOverview } from '../api/client';
import { Sparkline } from '../components/charts';
import { Empty, ErrorNote, Loading, StatusBadge } from '../components/states';
import { openBySync } from '../lib/alerts';
import { relative, when } from '../lib/format';
import { href } from '../lib/route';
import { useLoad } from '../lib/use-load';
import type { Session } from '../session';

/** How many of a sync's last runs its sparkline shows. */
const LAST_RUNS = 12;
/** The page follows schedules firing without a reload. */
const REFRESH_MS = 15_000;
/** Open alerts read for the badges: more than a workspace has syncs times rules. */
const OPEN_ALERTS = 1000;

interface SyncRow {
  sync: SyncOverview;
  /** Its last real runs (not dry runs), oldest first. */
  recent: Run[];
}

/** Every sync: what it moves where, when, how its last run went, and rows sent lately. */
export function SyncsPage({ session }: { session: Session }) {
  const [filter, setFilter] = useState('');
  const loaded = useLoad(async (signal): Promise<SyncRow[]> => {
    const { items } = await session.client.get('/api/v1/syncs', {}, signal);
    return Promise.all(
      items.map(async (sync) => {
        const runs = await session.client.get(
          '/api/v1/runs',
          { query: { sync: sync.name, limit: LAST_RUNS * 2 } },
          signal,
        );
        const recent = runs.items
          .filter((run) => !run.dry_run)
          .slice(0, LAST_RUNS)
          .reverse();
        return { sync, recent };
      }),
    );
  }, []);

  // One read of the open alerts for every sync's badge, apart: a failure here hides no sync.
  const alerts = useLoad(
    (signal) =>
      session.client.get('/api/v1/alerts', { query: { state: 'raised', limit: OPEN_ALERTS } }, signal),
    [],
  );
  const openAlerts = openBySync(alerts.data?.items ?? []);

  const { reload } = loaded;
  const reloadAlerts = alerts.reload;
  useEffect(() => {
    const timer = setInterval(() => {
      reload();
      reloadAlerts();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload, reloadAlerts]);

  const needle = filter.trim().toLowerCase();
  const rows = (loaded.data ?? []).filter(({ sync }) =>
    [sync.name, sync.model, sync.destination, sync.object].some((text) =>
      text.toLowerCase().includes(needle),
    ),
  );

  return (
    <main id="main">
      <div class="page-head">
        <h1>Syncs</h1>
        <label class="search">
          <span class="sr-only">Search syncs</span>
          <input
            type="search"
            placeholder="Search by name, model, destination…"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      {loaded.error && <ErrorNote error={loaded.error} retry={loaded.reload} />}
      {alerts.error && <ErrorNote error={alerts.error} retry={alerts.reload} />}
      {loaded.loading && loaded.data === null && <Loading what="syncs" />}
      {loaded.data?.length === 0 && (
        <Empty>
          This workspace has no syncs. Add one under <code>syncs:</code> in <code>sluice.yaml</code> and
          restart <code>sluice serve</code>.
        </Empty>
      )}
      {loaded.data !== null && loaded.data.length > 0 && rows.length === 0 && (
        <Empty>No sync matches “{filter}”.</Empty>
      )}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="syncs">
            <thead>
              <tr>
                <th scope="col">Sync</th>
                <th scope="col">Object</th>
                <th scope="col">Model → destination</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last run</th>
                <th scope="col">Next run</th>
                <th scope="col">Rows sent, last runs</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ sync, recent }) => (
                <tr key={sync.name} data-sync={sync.name}>
                  <th scope="row">
                    <a href={href({ page: 'sync', name: sync.name })}>{sync.name}</a>
                    {(openAlerts.get(sync.name) ?? 0) > 0 && (
                      <a
                        class="badge tone-bad alert-badge"
                        data-testid="open-alerts"
                        href={href({ page: 'alerts', sync: sync.name, state: 'raised' })}
                      >
                        {openAlerts.get(sync.name)} open alert{openAlerts.get(sync.name) === 1 ? '' : 's'}
                      </a>
                    )}
                  </th>
                  <td>{sync.object}</td>
                  <td>
                    {sync.model} → {sync.destination}
                  </td>
                  <td>{sync.schedule ?? <span class="muted">manual</span>}</td>
                  <td>
                    {sync.last_run === null ? (
                      <span class="muted">never run</span>
                    ) : (
                      <a href={href({ page: 'run', id: sync.last_run.run_id, status: '', key: '' })}>
                        <StatusBadge status={sync.last_run.status} />{' '}
                        <span title={when(sync.last_run.started_at)}>
                          {relative(sync.last_run.started_at)}
                        </span>
                      </a>
                    )}
                  </td>
                  <td title={when(sync.next_run_at)}>
                    {sync.next_run_at ? relative(sync.next_run_at) : '—'}
                  </td>
                  <td>
                    <Sparkline
                      values={recent.map((run) => run.counts.succeeded)}
                      label={`Rows sent by ${sync.name}`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
