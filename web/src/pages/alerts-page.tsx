import { useEffect, useState } from 'preact/hooks';
import type { Alert, NotifyTarget } from '../api/client';
import { Pager } from '../components/pager';
import { Empty, ErrorNote, Loading } from '../components/states';
import { figuresText, targetHealth } from '../lib/alerts';
import { count, relative, when } from '../lib/format';
import { type AlertStateFilter, href } from '../lib/route';
import { useLoad } from '../lib/use-load';
import type { Session } from '../session';

const PAGE_SIZE = 50;
/** The page follows alerts raised and deliveries made without a reload. */
const REFRESH_MS = 15_000;

/** Alerts raised and resolved (SPEC §7), open ones first, and how each notification target is doing. */
export function AlertsPage({
  session,
  sync,
  state,
}: {
  session: Session;
  sync: string;
  state: AlertStateFilter;
}) {
  // Cursors of the pages before this one; the top of the stack is this page's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setCursors([undefined]), [sync, state]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    (signal) =>
      session.client.get(
        '/api/v1/alerts',
        {
          query: {
            limit: PAGE_SIZE,
            ...(sync ? { sync } : {}),
            ...(state ? { state } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
        signal,
      ),
    [sync, state, cursor],
  );
  const syncs = useLoad((signal) => session.client.get('/api/v1/syncs', {}, signal), []);

  const { reload } = page;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  const go = (next: { sync?: string; state?: AlertStateFilter }) => {
    location.hash = href({ page: 'alerts', sync: next.sync ?? sync, state: next.state ?? state });
  };
  const names = [...new Set([...(syncs.data?.items.map((s) => s.name) ?? []), ...(sync ? [sync] : [])])];
  const items = page.data?.items ?? [];
  const open = items.filter((alert) => alert.state === 'raised');
  const resolved = items.filter((alert) => alert.state === 'resolved');
  const filtered = sync !== '' || state !== '';

  return (
    <main id="main">
      <div class="page-head">
        <h1>Alerts</h1>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State{' '}
          <select
            value={state}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              go({ state: value === 'raised' || value === 'resolved' ? value : '' });
            }}
          >
            <option value="">all</option>
            <option value="raised">open</option>
            <option value="resolved">resolved</option>
          </select>
        </label>
        <label>
          Sync{' '}
          <select value={sync} onChange={(e) => go({ sync: (e.target as HTMLSelectElement).value })}>
            <option value="">all syncs</option>
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {filtered && <a href={href({ page: 'alerts', sync: '', state: '' })}>Clear filters</a>}
      </form>
      {page.error && <ErrorNote error={page.error} retry={page.reload} />}
      {page.loading && page.data === null && <Loading what="alerts" />}
      {page.data !== null && (
        <div class="alerts-layout">
          <div>
            {state !== 'resolved' && (cursors.length === 1 || open.length > 0) && (
              <section aria-labelledby="open-title">
                <h2 id="open-title">
                  Open{' '}
                  {open.length > 0 && (
                    <span class="badge tone-bad" data-testid="open-count">
                      {count(open.length)}
                      {page.data.next_cursor !== null && resolved.length === 0 ? '+' : ''}
                    </span>
                  )}
                </h2>
                {open.length === 0 ? (
                  <Empty>{filtered ? 'No open alert matches these filters.' : 'No alert is open.'}</Empty>
                ) : (
                  <AlertList alerts={open} />
                )}
              </section>
            )}
            {state !== 'raised' && (resolved.length > 0 || state === 'resolved') && (
              <section aria-labelledby="resolved-title">
                <h2 id="resolved-title">Resolved</h2>
                {resolved.length === 0 ? (
                  <Empty>
                    {filtered ? 'No resolved alert matches these filters.' : 'No alert was resolved yet.'}
                  </Empty>
                ) : (
                  <AlertList alerts={resolved} />
                )}
              </section>
            )}
            {(page.data.next_cursor !== null || cursors.length > 1) && (
              <Pager cursors={cursors} setCursors={setCursors} next={page.data.next_cursor} />
            )}
          </div>
          <Targets targets={page.data.targets} />
        </div>
      )}
    </main>
  );
}

function AlertList({ alerts }: { alerts: Alert[] }) {
  return (
    <ol class="alerts">
      {alerts.map((alert) => (
        <AlertItem key={alert.id} alert={alert} />
      ))}
    </ol>
  );
}

function AlertItem({ alert }: { alert: Alert }) {
  const raisedFigures = figuresText(alert.kind, alert.figures);
  const resolvedFigures = figuresText(alert.kind, alert.resolved_figures);
  return (
    <li class={`alert-item alert-${alert.state}`} data-alert-state={alert.state} data-sync={alert.sync}>
      <p class="alert-title">
        <span class={`badge ${alert.state === 'raised' ? 'tone-bad' : 'tone-ok'}`}>
          {alert.state === 'raised' ? 'open' : 'resolved'}
        </span>{' '}
        <strong>{alert.rule}</strong> on <a href={href({ page: 'sync', name: alert.sync })}>{alert.sync}</a>
      </p>
      <p>
        Raised <span title={when(alert.raised_at)}>{relative(alert.raised_at)}</span> by{' '}
        <a href={href({ page: 'run', id: alert.raised_run_id, status: '', key: '', reason: '' })}>
          run <code>{alert.raised_run_id}</code>
        </a>
        {raisedFigures.length > 0 && <span class="figures">: {raisedFigures.join(' · ')}</span>}
      </p>
      {alert.resolved_at !== null && alert.resolved_run_id !== null && (
        <p>
          Resolved <span title={when(alert.resolved_at)}>{relative(alert.resolved_at)}</span> by{' '}
          <a href={href({ page: 'run', id: alert.resolved_run_id, status: '', key: '', reason: '' })}>
            run <code>{alert.resolved_run_id}</code>
          </a>
          {resolvedFigures.length > 0 && <span class="figures">: {resolvedFigures.join(' · ')}</span>}
        </p>
      )}
    </li>
  );
}

/** Each `notify:` target and its deliveries; a failing one says so, when and why, and what waits. */
function Targets({ targets }: { targets: NotifyTarget[] }) {
  const failing = targets.filter((target) => targetHealth(target) === 'failing').length;
  return (
    <aside class="targets" aria-labelledby="targets-title">
      <h2 id="targets-title">
        Notification targets{' '}
        {failing > 0 && (
          <span class="badge tone-bad" data-testid="failing-count">
            {count(failing)} failing
          </span>
        )}
      </h2>
      {targets.length === 0 ? (
        <Empty>
          No notification target: <code>notify:</code> in <code>sluice.yaml</code> names none.
        </Empty>
      ) : (
        <ul class="target-list">
          {targets.map((target) => (
            <TargetItem key={target.target} target={target} />
          ))}
        </ul>
      )}
    </aside>
  );
}

function TargetItem({ target }: { target: NotifyTarget }) {
  const health = targetHealth(target);
  const failure = target.last_failure;
  return (
    <li class={`target target-${health}`} data-target={target.target} data-health={health}>
      <p class="target-name">
        <strong>{target.target}</strong>{' '}
        <span class="muted">
          {target.type === null ? 'no longer in sluice.yaml' : target.type}
          {target.host && ` · ${target.host}`}
        </span>{' '}
        {health === 'failing' && <span class="badge tone-bad">failing</span>}
        {health === 'waiting' && <span class="badge tone-slow">waiting</span>}
        {health === 'ok' && target.delivered > 0 && <span class="badge tone-ok">delivering</span>}
      </p>
      <dl class="target-counts">
        <div class={target.pending > 0 ? 'tone-slow' : undefined}>
          <dt>pending</dt>
          <dd data-testid="target-pending">{count(target.pending)}</dd>
        </div>
        <div>
          <dt>delivered</dt>
          <dd>{count(target.delivered)}</dd>
        </div>
        <div class={target.failed > 0 ? 'tone-bad' : undefined}>
          <dt>given up</dt>
          <dd>{count(target.failed)}</dd>
        </div>
      </dl>
      {failure !== null && (
        <p class="target-failure" data-testid="target-failure">
          Last attempt failed <span title={when(failure.at)}>{relative(failure.at)}</span>:{' '}
          {failure.status === null ? '' : `HTTP ${failure.status}: `}
          {failure.error}
        </p>
      )}
      <p class="muted">
        {target.last_delivered_at === null
          ? 'Nothing delivered yet.'
          : `Last delivered ${relative(target.last_delivered_at)} (${when(target.last_delivered_at)}).`}
      </p>
    </li>
  );
}
