import type { Run } from '../api/client';
import { count, when } from '../lib/format';

/** Rows sent by each of a sync's last runs, oldest first, as small bars. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length === 0) return <span class="muted">no runs yet</span>;
  const max = Math.max(1, ...values);
  const width = 6;
  const height = 24;
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${values.length * (width + 2)} ${height}`}
      width={values.length * (width + 2)}
      height={height}
      role="img"
      aria-label={`${label}: ${values.map(count).join(', ')}`}
    >
      {values.map((value, i) => {
        const h = value === 0 ? 1 : Math.max(2, Math.round((value / max) * height));
        return (
          <rect key={i} x={i * (width + 2)} y={height - h} width={width} height={h} class="bar-sent">
            <title>{count(value)}</title>
          </rect>
        );
      })}
    </svg>
  );
}

const SERIES = ['planned', 'succeeded', 'failed', 'invalid'] as const;
const MIN_SLOTS = 30;

/** Per run, oldest first: planned, succeeded, failed and invalid rows side by side. */
export function RunsChart({ runs }: { runs: Run[] }) {
  if (runs.length === 0) return null;
  const max = Math.max(1, ...runs.flatMap((run) => SERIES.map((s) => run.counts[s])));
  const bar = 5;
  const group = SERIES.length * bar + 6;
  const height = 90;
  // Room for at least MIN_SLOTS runs, so a young sync's few bars stay bars, not blocks.
  const slots = Math.max(runs.length, MIN_SLOTS);
  return (
    <figure class="runs-chart">
      <svg
        viewBox={`0 0 ${slots * group} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Rows per run for the last ${runs.length} runs`}
      >
        {runs.map((run, i) => (
          <g key={run.run_id}>
            <title>
              {`${when(run.started_at)}${run.dry_run ? ' (dry run)' : ''}: ${SERIES.map((s) => `${run.counts[s]} ${s}`).join(', ')}`}
            </title>
            {SERIES.map((series, j) => {
              const h = run.counts[series] === 0 ? 0 : Math.max(1, (run.counts[series] / max) * (height - 2));
              return (
                <rect
                  key={series}
                  x={i * group + j * bar}
                  y={height - h}
                  width={bar - 1}
                  height={h}
                  class={`bar-${series}${run.dry_run ? ' dry' : ''}`}
                />
              );
            })}
          </g>
        ))}
      </svg>
      <figcaption>
        {SERIES.map((series) => (
          <span key={series} class="legend">
            <svg width="10" height="10" aria-hidden="true">
              <rect width="10" height="10" class={`bar-${series}`} />
            </svg>{' '}
            {series}
          </span>
        ))}
        <span class="legend muted">oldest left; dry runs paler</span>
      </figcaption>
    </figure>
  );
}
