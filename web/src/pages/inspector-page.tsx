import { useEffect, useState } from 'preact/hooks';
import type { Exchange, Run } from '../api/client';
import { JsonView } from '../components/json-view';
import { Pager } from '../components/pager';
import { RunTabs } from '../components/run-tabs';
import { Empty, ErrorNote, Loading, StatusBadge } from '../components/states';
import { bodyView, byteLength, exchangePage, isFailedExchange, statusTone } from '../lib/exchanges';
import { bytes, clock, count, duration, when } from '../lib/format';
import { type ExchangeShow, href } from '../lib/route';
import { useLoad } from '../lib/use-load';
import type { Session } from '../session';

const PAGE_SIZE = 50;
/** Failed-only pages read the API in bigger pages, and at most this many of them per screen. */
const FAILED_READ_SIZE = 500;
const FAILED_MAX_READS = 10;

/** The API inspector (SPEC §7): a run's HTTP exchanges with its destination, failed ones marked. */
export function InspectorPage({ session, id, show }: { session: Session; id: string; show: ExchangeShow }) {
  const run = useLoad((signal) => session.client.get('/api/v1/runs/{id}', { path: { id } }, signal), [id]);
  return (
    <main id="main">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href({ page: 'syncs' })}>Syncs</a> /{' '}
        {run.data && (
          <>
            <a href={href({ page: 'sync', name: run.data.sync })}>{run.data.sync}</a> /{' '}
          </>
        )}
        <a href={href({ page: 'run', id, status: '', key: '', reason: '' })}>run</a> /{' '}
        <span aria-current="page">inspector</span>
      </nav>
      <div class="page-head">
        <h1>
          Inspector{run.data && ` of a ${run.data.dry_run ? 'dry run' : 'run'} of ${run.data.sync}`}{' '}
          {run.data && <StatusBadge status={run.data.status} />}
        </h1>
      </div>
      <RunTabs runId={id} current="exchanges" />
      {run.error && <ErrorNote error={run.error} retry={run.reload} />}
      {run.data && (
        <p class="muted">
          <code>{run.data.run_id}</code> · started {when(run.data.started_at)}. Every failed request to the
          destination and a sample of the successful ones; secrets redacted, bodies cut to a few KB with every
          messageId kept.
        </p>
      )}
      {run.data?.dry_run ? (
        <Empty>A dry run sends nothing, so it has no exchanges. Its preview is on its sync’s page.</Empty>
      ) : (
        <Exchanges session={session} runId={id} run={run.data} show={show} />
      )}
    </main>
  );
}

function Exchanges({
  session,
  runId,
  run,
  show,
}: {
  session: Session;
  runId: string;
  run: Run | null;
  show: ExchangeShow;
}) {
  // Cursors of the pages before this one; the top of the stack is this page's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setCursors([undefined]), [show]);
  const cursor = cursors[cursors.length - 1];
  const failedOnly = show === 'failed';
  const page = useLoad(
    (signal) =>
      exchangePage(
        (from) =>
          session.client.get(
            '/api/v1/runs/{id}/exchanges',
            {
              path: { id: runId },
              query: { limit: failedOnly ? FAILED_READ_SIZE : PAGE_SIZE, ...(from ? { cursor: from } : {}) },
            },
            signal,
          ),
        { cursor, failedOnly, pageSize: PAGE_SIZE, maxReads: FAILED_MAX_READS },
      ),
    [runId, failedOnly, cursor],
  );
  const items = page.data?.items ?? [];
  const failed = items.filter(isFailedExchange).length;

  return (
    <section aria-labelledby="exchanges-title">
      <h2 id="exchanges-title">Exchanges</h2>
      {run?.records_pruned_at && (
        <Empty>Retention removed this run’s exchanges on {when(run.records_pruned_at)}.</Empty>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Show{' '}
          <select
            value={show}
            onChange={(e) => {
              const next = (e.target as HTMLSelectElement).value === 'failed' ? 'failed' : 'all';
              location.hash = href({ page: 'exchanges', id: runId, show: next });
            }}
          >
            <option value="all">all exchanges</option>
            <option value="failed">failed only</option>
          </select>
        </label>
        {page.data !== null && items.length > 0 && (
          <span class="muted" data-testid="exchange-summary">
            {count(items.length)} on this page
            {failedOnly ? ', all failed' : failed === 0 ? ', none failed' : ', '}
            {!failedOnly && failed > 0 && <strong class="tone-bad">{count(failed)} failed</strong>}
          </span>
        )}
      </form>
      {page.error && <ErrorNote error={page.error} retry={page.reload} />}
      {page.loading && page.data === null && <Loading what="exchanges" />}
      {page.data !== null && items.length === 0 && (
        <Empty>
          {failedOnly
            ? page.data.next_cursor === null
              ? cursors.length === 1
                ? 'No request of this run failed: every one was answered with success.'
                : 'No failed request after those of the pages before.'
              : 'No failed request among the exchanges read for this page; the next page reads on.'
            : cursors.length === 1
              ? 'This run made no request to its destination: it had nothing to send.'
              : 'No more exchanges.'}
        </Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="exchanges" aria-busy={page.loading}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
                <th scope="col">Attempt</th>
                <th scope="col">Messages</th>
                <th scope="col">Bodies</th>
              </tr>
            </thead>
            <tbody>
              {items.map((exchange, i) => (
                <ExchangeRows key={`${cursor ?? ''}-${i}`} exchange={exchange} id={`exchange-${i}`} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page.data !== null && (items.length > 0 || page.data.next_cursor !== null || cursors.length > 1) && (
        <Pager cursors={cursors} setCursors={setCursors} next={page.data.next_cursor} />
      )}
    </section>
  );
}

/** An exchange's row, and below it, when opened, its headers and bodies. */
function ExchangeRows({ exchange, id }: { exchange: Exchange; id: string }) {
  const [open, setOpen] = useState(false);
  const failed = isFailedExchange(exchange);
  return (
    <>
      <tr class={failed ? 'failed' : undefined} data-failed={failed ? 'true' : 'false'}>
        <td>
          <button
            type="button"
            class="disclosure"
            aria-expanded={open}
            aria-controls={id}
            onClick={() => setOpen(!open)}
          >
            <span aria-hidden="true">{open ? '▾' : '▸'}</span> {clock(exchange.at)}
            <span class="sr-only"> {open ? 'hide' : 'show'} headers and bodies</span>
          </button>
        </td>
        <td class="exchange-url">
          <strong>{exchange.method}</strong> <code>{exchange.url}</code>
        </td>
        <td data-testid="exchange-status">
          <ExchangeStatus exchange={exchange} />
        </td>
        <td class="number">{duration(exchange.latency_ms)}</td>
        <td class="number" data-testid="exchange-attempt">
          {exchange.attempt > 1 ? <strong title="a retry">{exchange.attempt}</strong> : exchange.attempt}
        </td>
        <td class="number">{count(exchange.message_ids.length)}</td>
        <td>
          {exchange.truncated ? <span class="badge badge-cut">cut</span> : <span class="muted">whole</span>}
        </td>
      </tr>
      {open && (
        <tr class="exchange-detail" id={id}>
          <td colSpan={7}>
            <ExchangeDetail exchange={exchange} />
          </td>
        </tr>
      )}
    </>
  );
}

function ExchangeStatus({ exchange }: { exchange: Exchange }) {
  const tone = statusTone(exchange.status);
  return (
    <span class={`badge tone-${tone}`} title={exchange.error ?? undefined}>
      {exchange.status ?? 'no answer'}
      {tone !== 'ok' && <span class="sr-only"> (failed)</span>}
    </span>
  );
}

function ExchangeDetail({ exchange }: { exchange: Exchange }) {
  return (
    <div class="exchange-parts">
      <section aria-label="Request">
        <h3>Request</h3>
        <p>
          {exchange.method} <code>{exchange.url}</code> · attempt {exchange.attempt}
        </p>
        <Headers headers={exchange.request_headers} />
        <Body text={exchange.request_body} total={exchange.request_bytes} />
      </section>
      <section aria-label="Response">
        <h3>Response</h3>
        <p>
          <ExchangeStatus exchange={exchange} /> after {duration(exchange.latency_ms)}
          {exchange.error && <span class="tone-bad"> · {exchange.error}</span>}
        </p>
        {exchange.status === null ? (
          <p class="muted">No answer came, so there are no response headers or body.</p>
        ) : (
          <>
            <Headers headers={exchange.response_headers} />
            <Body text={exchange.response_body} total={exchange.response_bytes} />
          </>
        )}
      </section>
      {exchange.message_ids.length > 0 && (
        <details class="message-ids">
          <summary>
            {count(exchange.message_ids.length)} messageId{exchange.message_ids.length === 1 ? '' : 's'} in
            this request
          </summary>
          <ul>
            {exchange.message_ids.map((messageId) => (
              <li key={messageId}>
                <code>{messageId}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function Headers({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p class="muted">No headers kept.</p>;
  return (
    <table class="headers">
      <caption>Headers</caption>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A body, pretty-printed when it is JSON, saying how much of it was kept when it was cut. */
function Body({ text, total }: { text: string; total: number }) {
  const view = bodyView(text);
  const kept = byteLength(text);
  return (
    <div class="body">
      <p class="body-head">
        <strong>Body</strong>{' '}
        {kept < total ? (
          <span class="badge badge-cut">
            cut: first {bytes(kept)} of {bytes(total)}
          </span>
        ) : (
          <span class="muted">{bytes(total)}</span>
        )}
      </p>
      {view.kind === 'empty' && <p class="muted">Empty.</p>}
      {view.kind === 'json' && <JsonView value={view.value} />}
      {view.kind === 'text' && <pre class="json body-text">{view.text}</pre>}
    </div>
  );
}
