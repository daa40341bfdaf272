import type { PruneDocument, Sluice } from '../../index.js';
import { formatCount, type Io, printJson } from '../output.js';

const DAY_MS = 86_400_000;

/**
 * `sluice prune [--json]` (SPEC §7): applies `retention` now — deletes the per-row records and
 * inspector exchanges of runs older than it (run summaries and each key's last delivered message stay), then rewrites the state
 * so that the file shrinks.
 */
export async function pruneCommand(sluice: Sluice, flags: { json: boolean }, io: Io): Promise<number> {
  // Never null: nothing here asks to skip.
  const pruned = (await sluice.prune({ reclaim: true }))!;
  if (flags.json) {
    printJson(io, {
      runs: pruned.runs,
      records: pruned.records,
      exchanges: pruned.exchanges,
      bytes_freed: pruned.bytes_freed,
    });
  } else {
    io.stdout.write(`${describePrune(pruned)}\n`);
  }
  if (!pruned.reclaimed) {
    io.stderr.write(
      'note: a sync is running, so the state file was not rewritten to shrink it (the space freed is reused by later runs); run `sluice prune` again when no sync runs\n',
    );
  }
  return 0;
}

/**
 * The prune at the end of `sluice sync run` when `retention` is set: at most once per day (or per
 * retention, when shorter) per state, whichever process asks first. It does not rewrite the file:
 * the space it frees is reused by the next runs, so the state stops growing; `sluice prune` also
 * shrinks it. A failure here is reported, never turned into a failed run: the runs themselves are
 * done.
 */
export async function autoPrune(sluice: Sluice, io: Io, now = new Date()): Promise<void> {
  try {
    const result = await sluice.prune({ ifDue: true, now });
    if (result !== null && result.runs > 0) io.stderr.write(`${describePrune(result)}\n`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`warning: pruning old run records failed (${message}); \`sluice prune\` retries it\n`);
  }
}

function describePrune(result: PruneDocument): string {
  const age = formatAge(result.older_than_ms);
  if (result.runs === 0) return `Nothing to prune: no run has records older than ${age}.`;
  return `Pruned the records of ${formatCount(result.runs)} run${result.runs === 1 ? '' : 's'} older than ${age}: ${formatCount(result.records)} records, ${formatCount(result.exchanges)} exchanges, ${formatBytes(result.bytes_freed)} freed (run summaries and each key's last delivered message are kept).`;
}
/** 2592000000 → "30d", 5400000 → "90m": the largest unit that divides it. */
function formatAge(ms: number): string {
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${formatCount(Math.round(bytes / 1024))} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
