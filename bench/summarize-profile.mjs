// Reads a V8 CPU profile (`node --cpu-prof`) of a sync and says where the time went: per pipeline
// stage (source read, mapping, prepare/JSON, hashing, state store, HTTP…), the top functions by
// self time, and the top Sluice functions by inclusive time.
//
//   node bench/summarize-profile.mjs FILE.cpuprofile [--top N]
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stage of a frame by its script, first match wins. A frame with no match (a native function such
 * as JSON.stringify, or Node internals) is charged to the stage of its nearest caller that has one.
 */
const STAGES = [
  [/\/dist\/sources\/|@duckdb/, 'source read (DuckDB → JS rows)'],
  [/\/dist\/mapping\/|liquidjs/, 'mapping (paths, Liquid, coercion)'],
  [/\/dist\/sync\/map\.js/, 'row mapper (keys, calls mapping/prepare/hash)'],
  [/segment-message-codec|normalise-timestamp/, 'prepare/encode (validate, JSON.stringify, splice)'],
  [/^node:crypto|\/dist\/sync\/message-id\.js/, 'hashing (change hash, messageId)'],
  [/\/dist\/state\/|better-sqlite3/, 'state store (SQLite)'],
  [/undici|^node:net|^node:_http|^node:internal\/(net|stream|http)|segment-client|batch-body/, 'HTTP send'],
  [/\/dist\/sync\/diff\.js/, 'diff (decide)'],
  [/\/dist\/sync\//, 'sync orchestration (run-sync, load, record)'],
  [/\/dist\/(cli|workspace|core|destinations)\//, 'other Sluice code'],
];
const SPECIAL = {
  '(garbage collector)': 'garbage collection',
  '(idle)': 'idle (waiting on I/O, DuckDB threads, the receiver)',
  '(program)': 'V8/native, unattributed',
};

function stageOfUrl(url) {
  for (const [pattern, stage] of STAGES) if (pattern.test(url)) return stage;
  return null;
}

function shortUrl(url) {
  const dist = url.lastIndexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  return url.startsWith('file://') ? basename(url) : url;
}

function frameName(frame) {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

/**
 * Summarises the profile at `file`: `{ totalMs, stages, topSelf, topInclusive }`, each entry with
 * `ms` and `share` of the profile's total time.
 */
export async function summarizeProfile(file, { top = 20 } = {}) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Self time per node: each sample lasts until the next one (how DevTools counts it).
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const ms = (i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0) / 1000;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + ms);
  }
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);

  const stageCache = new Map();
  const stageOf = (id) => {
    if (stageCache.has(id)) return stageCache.get(id);
    const frame = nodes.get(id).callFrame;
    let stage = SPECIAL[frame.functionName] ?? stageOfUrl(frame.url);
    if (stage === null) stage = parent.has(id) ? stageOf(parent.get(id)) : 'other (runtime, native)';
    stageCache.set(id, stage);
    return stage;
  };

  const byStage = new Map();
  const bySelf = new Map();
  for (const [id, ms] of self) {
    const stage = stageOf(id);
    byStage.set(stage, (byStage.get(stage) ?? 0) + ms);
    const name = frameName(nodes.get(id).callFrame);
    bySelf.set(name, (bySelf.get(name) ?? 0) + ms);
  }

  // Inclusive time of Sluice's own functions, each sample counted once per function even when the
  // function is on the stack twice (recursion, re-entered async functions).
  const inclusive = new Map();
  for (const [id, ms] of self) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at).callFrame;
      if (!frame.url.includes('/dist/')) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }

  const ranked = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms, share: ms / totalMs }));
  return {
    totalMs,
    stages: ranked(byStage, byStage.size),
    topSelf: ranked(bySelf, top),
    topInclusive: ranked(inclusive, top),
  };
}

/** The summary as text for a terminal or a README. */
export function formatProfileSummary(summary) {
  const row = ({ name, ms, share }) =>
    `  ${(ms / 1000).toFixed(2).padStart(8)} s  ${(share * 100).toFixed(1).padStart(5)}%  ${name}`;
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(2)} s of samples`,
    'by stage (native frames charged to their nearest classified caller):',
    ...summary.stages.map(row),
    'top functions by self time:',
    ...summary.topSelf.map(row),
    'top Sluice functions by inclusive time (synchronous stacks only; awaits split async functions):',
    ...summary.topInclusive.map(row),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, flag, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/summarize-profile.mjs FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const top = flag === '--top' ? Number(n) : 20;
  process.stdout.write(`${formatProfileSummary(await summarizeProfile(file, { top }))}\n`);
}
