import { useEffect, useState } from 'preact/hooks';
import type { RecordDocument, RecordStatus, Run } from '../api/client';
import { DryRunPreview } from '../components/dry-run-preview';
import { JsonView } from '../components/json-view';
import { Pager } from '../components/pager';
import { RunTabs } from '../components/run-tabs';
import { Empty, ErrorNote, Loading, StatusBadge } from '../components/states';
import { followRun } from '../lib/follow-run';
import { count, duration, when } from '../lib/format';
import { href } from '../lib/route';
import { useLoad } from '../lib/use-load';
import { canOperate, type Session } from '../session';

const PAGE_SIZE = 50;
const RECORD_STATUSES: RecordStatus[] = ['succeeded', 'failed', 'abandoned', 'invalid', 'removed'];
/** Why a row has its record (SPEC §3): planned rows, removed keys, and invalid rows' codes. */
const RECORD_REASONS = [
  'new',
  'changed',
  'absent',
  'null_key',
  'duplicate_key',
  'missing_identity',
  'missing_group_id',
  'missing_event',
  'invalid_timestamp',
  'not_an_object',
  'message_too_large',
];
const COUNTS = [
  'extracted',
  'invalid',
  'unchanged',
  'new',
  'changed',
  'planned',
  'succeeded',
  'failed',
  'abandoned',
  'removed',
] as const;

function isGoing(run: Run): boolean {
  return run.status === 'queued' || run.status === 'running';
}

/** One run: its counts (live while it goes), duration, error, and its records. */
export function RunPage({
  session,
  id,
  status,
  keyFilter,
  reason,
}: {
  session: Session;
  id: string;
  status: string;
  keyFilter: string;
  reason: string;
}) {
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [now, setNow] = useState(Date.now());
  const [cancelling, setCancelling] = useState(false);

  useEffect(() => {
    const aborter = new AbortController();
    setRun(null);
    setError(null);
    (async () => {
      const first = await session.client.get('/api/v1/runs/{id}', { path: { id } }, aborter.signal);
      setRun(first);
      if (!isGoing(first)) return;
      const finished = await followRun(
        session.client,
        id,
        (counts) =>
          setRun((current) => (current === null ? current : { ...current, status: 'running', counts })),
        aborter.signal,
      );
      setRun(finished);
    })().catch((failure: unknown) => {
      if (!aborter.signal.aborted) setError(failure as Error);
    });
    return () => aborter.abort();
  }, [session, id]);

  const going = run !== null && isGoing(run);
  useEffect(() => {
    if (!going) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [going]);

  async function cancel() {
    setCancelling(true);
    try {
      await session.client.cancelRun(id);
    } catch (failure) {
      setError(failure as Error);
      setCancelling(false);
    }
  }

  if (run === null)
    return (
      <main id="main">
        <h1>Run</h1>
        {error ? <ErrorNote error={error} /> : <Loading what="the run" />}
      </main>
    );

  const elapsed = run.duration_ms ?? Math.max(0, now - new Date(run.started_at).getTime());
  return (
    <main id="main">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href({ page: 'syncs' })}>Syncs</a> /{' '}
        <a href={href({ page: 'sync', name: run.sync })}>{run.sync}</a> / <span aria-current="page">run</span>
      </nav>
      <div class="page-head">
        <h1>
          {run.dry_run ? 'Dry run' : 'Run'} of {run.sync}{' '}
          <span data-testid="run-status">
            <StatusBadge status={run.status} />
          </span>
        </h1>
        {going && canOperate(session) && (
          <div class="actions">
            <button
              type="button"
              class="danger"
              onClick={cancel}
              disabled={cancelling || run.cancel_requested_at !== undefined}
            >
              {cancelling || run.cancel_requested_at !== undefined ? 'Cancelling…' : 'Cancel run'}
            </button>
          </div>
        )}
      </div>
      {!run.dry_run && <RunTabs runId={run.run_id} current="records" />}
      {error && <ErrorNote error={error} />}
      <p class="muted">
        <code>{run.run_id}</code> · started {when(run.started_at)} · {going ? 'running for' : 'took'}{' '}
        {duration(elapsed)}
        {run.full_resync && ' · full resync'}
      </p>
      {run.error && (
        <div class="error" role="alert">
          <p>
            <strong>{run.error.code}</strong>: {run.error.message}
          </p>
          {run.error.problems && (
            <ul>
              {run.error.problems.map((p) => (
                <li key={`${p.file}:${p.line}`}>
                  {p.file}:{p.line}: {p.message}
                  {p.fix && ` — ${p.fix}`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {run.writeback && (
        <p class={run.writeback.error ? 'error' : 'muted'} data-testid="writeback">
          {run.writeback.error
            ? `Writeback into ${run.writeback.source}.${run.writeback.table} failed: ${run.writeback.error.message}`
            : `Wrote back ${count(run.writeback.rows)} rows into ${run.writeback.source}.${run.writeback.table}.`}
        </p>
      )}
      <dl class="counts" aria-live="polite" aria-label="Counts">
        {COUNTS.map((name) => (
          <div key={name} data-count={name}>
            <dt>{name}</dt>
            <dd>{count(run.counts[name])}</dd>
          </div>
        ))}
      </dl>
      {run.dry_run && !going && <DryRunPreview run={run} />}
      {!run.dry_run && !going && (
        <Records session={session} run={run} status={status} keyFilter={keyFilter} reason={reason} />
      )}
      {going && <p class="muted">Its records appear here once it has finished.</p>}
    </main>
  );
}

/** The run's records, filtered by status, reason and key (kept in the page's URL), a page at a time. */
function Records({
  session,
  run,
  status,
  keyFilter,
  reason,
}: {
  session: Session;
  run: Run;
  status: string;
  keyFilter: string;
  reason: string;
}) {
  // Cursors of the pages before this one; the top of the stack is this page's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [keyText, setKeyText] = useState(keyFilter);
  useEffect(() => {
    setCursors([undefined]);
    setKeyText(keyFilter);
  }, [status, keyFilter, reason]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    (signal) =>
      session.client.get(
        '/api/v1/runs/{id}/records',
        {
          path: { id: run.run_id },
          query: {
            limit: PAGE_SIZE,
            ...(status ? { status: status as RecordStatus } : {}),
            ...(keyFilter ? { key: keyFilter } : {}),
            ...(reason ? { reason } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
        signal,
      ),
    [run.run_id, status, keyFilter, reason, cursor],
  );

  const go = (next: { status?: string; key?: string; reason?: string }) => {
    location.hash = href({
      page: 'run',
      id: run.run_id,
      status: next.status ?? status,
      key: next.key ?? keyFilter,
      reason: next.reason ?? reason,
    });
  };

  return (
    <section aria-labelledby="records-title">
      <h2 id="records-title">Records</h2>
      {run.records_pruned_at && (
        <Empty>Retention removed this run’s records on {when(run.records_pruned_at)}.</Empty>
      )}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ key: keyText.trim() });
        }}
      >
        <label>
          Status{' '}
          <select value={status} onChange={(e) => go({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {RECORD_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason{' '}
          <select value={reason} onChange={(e) => go({ reason: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {[...new Set([...RECORD_REASONS, ...(reason ? [reason] : [])])].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          Key{' '}
          <input
            type="search"
            name="key"
            placeholder="exact key"
            value={keyText}
            onInput={(e) => setKeyText((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="secondary">
          Find
        </button>
        {(status || keyFilter || reason) && (
          <a href={href({ page: 'run', id: run.run_id, status: '', key: '', reason: '' })}>Clear filters</a>
        )}
      </form>
      {page.error && <ErrorNote error={page.error} retry={page.reload} />}
      {page.loading && page.data === null && <Loading what="records" />}
      {page.data?.items.length === 0 && (
        <Empty>
          {status || keyFilter || reason
            ? 'No record matches these filters. Clear them to see every record.'
            : 'This run recorded no rows: nothing was new, changed or removed.'}
        </Empty>
      )}
      {page.data !== null && page.data.items.length > 0 && (
        <>
          <div class="table-wrap">
            <table class="records" aria-busy={page.loading}>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Message</th>
                  <th scope="col">Payload</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((record, i) => (
                  <RecordRow key={`${record.key}-${i}`} run={run} record={record} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager cursors={cursors} setCursors={setCursors} next={page.data.next_cursor} />
        </>
      )}
    </section>
  );
}

function RecordRow({ run, record }: { run: Run; record: RecordDocument }) {
  return (
    <tr data-status={record.status}>
      <td>
        {record.key === null ? (
          <span class="muted">no key</span>
        ) : (
          <a href={href({ page: 'key', sync: run.sync, key: record.key })}>
            <code>{record.key}</code>
          </a>
        )}
      </td>
      <td>
        <StatusBadge status={record.status} />
      </td>
      <td>{record.reason ?? '—'}</td>
      <td>{record.message ?? '—'}</td>
      <td>
        {record.payload === null || record.payload === undefined ? (
          '—'
        ) : (
          <details>
            <summary>show</summary>
            <JsonView value={record.payload} />
          </details>
        )}
      </td>
    </tr>
  );
}
