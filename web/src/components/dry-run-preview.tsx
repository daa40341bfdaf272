import type { Run } from '../api/client';
import { count } from '../lib/format';
import { href } from '../lib/route';
import { JsonView } from './json-view';
import { Empty } from './states';

/** A dry run's samples: each planned message as it would be sent, its changed fields marked; invalid rows. */
export function DryRunPreview({ run }: { run: Run }) {
  const samples = run.samples ?? [];
  const invalid = run.invalid_samples ?? [];
  return (
    <section class="dry-run" aria-labelledby="dry-run-title">
      <h3 id="dry-run-title">
        Dry run preview: {count(run.counts.planned)} planned, {count(run.counts.invalid)} invalid
      </h3>
      {samples.length === 0 && invalid.length === 0 && (
        <Empty>Nothing would be sent: every row is unchanged since it was last delivered.</Empty>
      )}
      {samples.length > 0 && (
        <ol class="samples">
          {samples.map((sample) => (
            <li key={sample.key} class="sample">
              <p>
                <a href={href({ page: 'key', sync: run.sync, key: sample.key })}>
                  <code>{sample.key}</code>
                </a>{' '}
                <span class={`badge badge-${sample.reason}`}>{sample.reason}</span>
                {sample.reason === 'changed' && (
                  <span class="changed-fields">
                    {' '}
                    changed:{' '}
                    {sample.changed_fields.length === 0
                      ? 'only its id or stamp'
                      : sample.changed_fields.map((f) => <code key={f}>{f}</code>)}
                  </span>
                )}
              </p>
              <JsonView value={sample.message} changed={sample.changed_fields} />
            </li>
          ))}
        </ol>
      )}
      {run.not_shown && run.not_shown.planned > 0 && (
        <p class="muted">{count(run.not_shown.planned)} more planned messages not shown.</p>
      )}
      {invalid.length > 0 && (
        <table class="invalid-samples">
          <caption>Invalid rows (not sent)</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Reason</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {invalid.map((row, i) => (
              <tr key={i}>
                <td>{row.key === null ? <span class="muted">no key</span> : <code>{row.key}</code>}</td>
                <td>{row.reason}</td>
                <td>{row.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {run.not_shown && run.not_shown.invalid > 0 && (
        <p class="muted">{count(run.not_shown.invalid)} more invalid rows not shown.</p>
      )}
    </section>
  );
}
