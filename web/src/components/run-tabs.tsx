import { href } from '../lib/route';

/** A run's two views: its counts and records, and the inspector's HTTP exchanges. */
export function RunTabs({ runId, current }: { runId: string; current: 'records' | 'exchanges' }) {
  return (
    <nav class="tabs" aria-label="Views of this run">
      <a
        href={href({ page: 'run', id: runId, status: '', key: '', reason: '' })}
        aria-current={current === 'records' ? 'page' : undefined}
      >
        Counts and records
      </a>
      <a
        href={href({ page: 'exchanges', id: runId, show: 'all' })}
        aria-current={current === 'exchanges' ? 'page' : undefined}
      >
        Inspector
      </a>
    </nav>
  );
}
