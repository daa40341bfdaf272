import { useEffect, useState } from 'preact/hooks';
import type { KeyHistory } from '../api/client';
import { JsonView } from '../components/json-view';
import { Empty, ErrorNote, Loading, StatusBadge } from '../components/states';
import { when } from '../lib/format';
import { diffMessages, type FieldChange } from '../lib/json-paths';
import { href } from '../lib/route';
import type { Session } from '../session';

type Entry = KeyHistory['history']['items'][number];

/** Differ on every message, so a diff would always list them: left out, and said so. */
const ALWAYS_DIFFERENT = ['messageId', 'timestamp', 'sentAt'];

function show(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/** One key: what the state holds for it, and every message sent for it, each diffed with the one before. */
export function KeyPage({ session, sync, keyValue }: { session: Session; sync: string; keyValue: string }) {
  const [key, setKey] = useState<KeyHistory | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    const aborter = new AbortController();
    setKey(null);
    setError(null);
    session.client
      .get('/api/v1/syncs/{name}/keys/{key}', { path: { name: sync, key: keyValue } }, aborter.signal)
      .then(
        (answer) => {
          setKey(answer);
          setEntries(answer.history.items);
          setNext(answer.history.next_cursor);
        },
        (failure: unknown) => {
          if (!aborter.signal.aborted) setError(failure as Error);
        },
      );
    return () => aborter.abort();
  }, [session, sync, keyValue]);

  async function loadOlder() {
    if (next === null) return;
    setLoadingMore(true);
    try {
      const answer = await session.client.get('/api/v1/syncs/{name}/keys/{key}', {
        path: { name: sync, key: keyValue },
        query: { cursor: next },
      });
      setEntries((current) => [...current, ...answer.history.items]);
      setNext(answer.history.next_cursor);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <main id="main">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href({ page: 'syncs' })}>Syncs</a> / <a href={href({ page: 'sync', name: sync })}>{sync}</a>{' '}
        / <span aria-current="page">key</span>
      </nav>
      <h1>
        Key <code>{keyValue}</code>
      </h1>
      {error && <ErrorNote error={error} />}
      {key === null && !error && <Loading what="the key's history" />}
      {key !== null && (
        <>
          <section aria-labelledby="state-title">
            <h2 id="state-title">State</h2>
            {key.state === null ? (
              <Empty>The state holds nothing for this key: no run has delivered it yet.</Empty>
            ) : (
              <dl class="settings">
                <dt>Delivered</dt>
                <dd>
                  {key.state.delivered_message_id ? <code>{key.state.delivered_message_id}</code> : 'never'}
                  {key.state.removed && ' (removed from the model since)'}
                </dd>
                <dt>Pending</dt>
                <dd>
                  {key.state.pending === null
                    ? 'nothing'
                    : `${key.state.pending.abandoned ? 'abandoned' : 'to retry'} after ${key.state.pending.attempts} attempts${key.state.pending.last_error ? `: ${key.state.pending.last_error}` : ''}`}
                </dd>
              </dl>
            )}
          </section>
          <section aria-labelledby="history-title">
            <h2 id="history-title">History</h2>
            {entries.length === 0 ? (
              <Empty>No message was ever sent for this key.</Empty>
            ) : (
              <>
                <p class="muted">
                  Newest first; each message is compared with the one before it. {ALWAYS_DIFFERENT.join(', ')}{' '}
                  differ every time and are not listed.
                </p>
                <ol class="history">
                  {entries.map((entry, i) => (
                    <HistoryEntry
                      key={`${entry.run_id}-${i}`}
                      entry={entry}
                      previous={entries[i + 1]}
                      more={next !== null}
                    />
                  ))}
                </ol>
                {next !== null && (
                  <button type="button" class="secondary" onClick={loadOlder} disabled={loadingMore}>
                    {loadingMore ? 'Loading…' : 'Load older messages'}
                  </button>
                )}
              </>
            )}
          </section>
        </>
      )}
    </main>
  );
}

function HistoryEntry({
  entry,
  previous,
  more,
}: {
  entry: Entry;
  previous: Entry | undefined;
  more: boolean;
}) {
  const changes: FieldChange[] | null =
    previous === undefined ? null : diffMessages(previous.payload, entry.payload, ALWAYS_DIFFERENT);
  return (
    <li class="history-entry" data-status={entry.status}>
      <p>
        <StatusBadge status={entry.status} /> run of{' '}
        <a href={href({ page: 'run', id: entry.run_id, status: '', key: '' })}>
          {when(entry.run_started_at)}
        </a>
        {entry.reason && <span class="muted"> · {entry.reason}</span>}
        {entry.message && <span class="muted"> · {entry.message}</span>}
      </p>
      {changes === null ? (
        <p class="muted">
          {more ? 'Load older messages to compare this one.' : 'The first message for this key.'}
        </p>
      ) : changes.length === 0 ? (
        <p class="muted">Same fields as the message before.</p>
      ) : (
        <table class="diff">
          <caption class="sr-only">Changes from the message before</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((change) => (
              <tr key={change.path} class={`diff-${change.kind}`}>
                <td>
                  <code>{change.path}</code> <span class="muted">{change.kind}</span>
                </td>
                <td>
                  <del>{show(change.before)}</del>
                </td>
                <td>
                  <ins>{show(change.after)}</ins>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary>Message</summary>
        <JsonView value={entry.payload} changed={changes?.map((c) => c.path) ?? []} />
      </details>
    </li>
  );
}
