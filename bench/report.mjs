// How the benchmark prints: one line per scenario as it finishes, and a Markdown table at the end
// (the form bench/README.md keeps its figures in).

const int = (n) => Math.round(n).toLocaleString('en-US');
const mb = (bytes) => `${Math.round(bytes / 1024 / 1024)} MB`;
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const pct = (x) => `${(x * 100).toFixed(1)}%`;

/**
 * " (anon X, of which JS heap ≤ H; file Y)" when the job sampled them. Anonymous memory is the JS
 * heap plus native allocations (DuckDB, SQLite's page cache); file pages are mapped files (the node
 * binary, DuckDB's library, SQLite's mmap of the state file), which the kernel can drop at will.
 */
function rssSplit(f) {
  if (!f.rssAnonPeak) return '';
  const heap = f.heapPeak ? `, of which JS heap ≤ ${mb(f.heapPeak)}` : '';
  return ` (anon ${mb(f.rssAnonPeak)}${heap}; file ${mb(f.rssFilePeak ?? 0)})`;
}

/** The memory figures of a job run (bench/processes.mjs `runJob`). */
export function memory({ rssPeak, rssAnonPeak, rssFilePeak, heapPeak }) {
  return { rssPeak, rssAnonPeak, rssFilePeak, heapPeak };
}

/**
 * A note when a run read fewer or more rows than the model has: DuckDB 1.5 can end a streamed
 * query that ran out of memory early without an error (src/sources/README.md, "DuckDB's memory").
 */
export function rowsNote(read, expected) {
  return read === expected ? [] : [`READ ${format.int(read)} ROWS, EXPECTED ${format.int(expected)}`];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One scenario's figures. `figures` has `elapsedMs`, `rows` (read or generated), `sent`, and
 * optionally `ratioToRaw`, `ratioToInitial`, `rssPeak`, `cpuMs`, `receiverCpuMs`, `notes`.
 * Throughput is messages/s when the scenario sends, rows/s when it only reads and diffs.
 */
export function scenarioLine(name, f) {
  const parts = [name.padEnd(24), `${int(f.rows).padStart(10)} rows → ${int(f.sent).padStart(9)} sent`];
  parts.push(seconds(f.elapsedMs).padStart(9));
  const perSecond =
    f.sent > 0
      ? `${int(f.sent / (f.elapsedMs / 1000))} msg/s`
      : `${int(f.rows / (f.elapsedMs / 1000))} rows/s`;
  parts.push(perSecond.padStart(14));
  if (f.ratioToRaw !== undefined) parts.push(`${f.ratioToRaw.toFixed(3)}× raw`);
  if (f.ratioToInitial !== undefined) parts.push(`${pct(f.ratioToInitial)} of initial's time`);
  if (f.rssPeak !== undefined) parts.push(`peak RSS ${mb(f.rssPeak)}${rssSplit(f)}`);
  if (f.cpuMs !== undefined) parts.push(`CPU ${(f.cpuMs / f.elapsedMs).toFixed(2)} cores`);
  if (f.receiverCpuMs !== undefined)
    parts.push(`receiver ${(f.receiverCpuMs / f.elapsedMs).toFixed(2)} cores`);
  if (f.load !== undefined) parts.push(`load ${f.load.toFixed(1)}`);
  for (const note of f.notes ?? []) parts.push(note);
  return parts.join('  ');
}

/** The end-of-run table, in Markdown. */
export function resultsTable(results) {
  const lines = [
    '| scenario | rows | sent | elapsed | msg/s (rows/s) | ratio | peak RSS | load | notes |',
    '|---|---:|---:|---:|---:|---|---:|---:|---|',
  ];
  for (const r of results) {
    const f = r.figures;
    const rate = f.sent > 0 ? int(f.sent / (f.elapsedMs / 1000)) : `(${int(f.rows / (f.elapsedMs / 1000))})`;
    const ratio = [
      f.ratioToRaw !== undefined ? `${f.ratioToRaw.toFixed(3)}× raw` : '',
      f.ratioToInitial !== undefined ? `${pct(f.ratioToInitial)} of initial` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `| ${r.name} | ${int(f.rows)} | ${int(f.sent)} | ${seconds(f.elapsedMs)} | ${rate} | ${ratio} | ${
        f.rssPeak ? `${mb(f.rssPeak)}${rssSplit(f)}` : ''
      } | ${f.load?.toFixed(1) ?? ''} | ${(f.notes ?? []).join('; ')} |`,
    );
  }
  return lines.join('\n');
}

export const format = { int, mb, seconds, pct };
