// `node bench/postgres-stream.mjs [--rows 1000000,2000000] [--keep]`: streams rows from PostgreSQL
// through a whole dry run of the compiled CLI (`sluice sync run X --dry-run`: extract, map, diff
// against the state store; nothing sent) and reports rows/s, peak RSS and the live heap per row
// count. To tell the source from the rest of the pipe, it first streams the same extract query
// through the postgres source alone. Memory must stay bounded: peak RSS under 300 MB and no more
// for 2M rows than for 1M. Never part of `npm test`; run `npm run build` first. See bench/README.md.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const RSS_LIMIT_MB = 300;
/** 2M rows may use at most this much more than 1M (noise in GC timing), or the bench fails. */
const GROWTH_TOLERANCE_MB = 30;
const BATCH_SIZE = 2000;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000,2000000' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'node bench/postgres-stream.mjs [--rows 1000000,2000000] [--keep]\n' +
      '  PostgreSQL from SLUICE_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test)\n',
  );
  process.exit(0);
}
const counts = args.rows.split(',').map((n) => Number(n.replaceAll('_', '')));
if (counts.some((n) => !Number.isSafeInteger(n) || n < 1)) {
  process.stderr.write(`--rows must be positive whole numbers, got ${args.rows}\n`);
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'sluice.js');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'cli', 'main.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}

const adminUrl = process.env.SLUICE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = `sluice_bench_pg_${randomBytes(4).toString('hex')}`;
const maxRows = Math.max(...counts);
const COLUMNS = 'id, email, name, score, created_at, profile';

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl() {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The users table: ids half beyond 2^53, unicode names with quotes, decimals, timestamptz, JSON. */
async function createTable() {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${database}`));
  await withClient(databaseUrl(), async (c) => {
    await c.query(`CREATE TABLE users AS
      SELECT CASE WHEN g % 2 = 0 THEN 9007199254740993 + g ELSE g END::bigint AS id,
             g AS n,
             'user' || g || '@example.com' AS email,
             'Zoë "O''Brien" ' || g AS name,
             (g % 100000) / 100.0 ::numeric(10,2) AS score,
             timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS created_at,
             json_build_object('plan', CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END, 'seats', g % 50) AS profile
      FROM generate_series(1, ${maxRows}) g`);
    await c.query('CREATE INDEX ON users (n)');
    // A fresh table's first scan writes hint bits on every page: do that now, not in the first run.
    await c.query('VACUUM (ANALYZE) users');
  });
}

const modelSql = (n) => `SELECT ${COLUMNS} FROM users WHERE n <= ${n}`;

async function writeWorkspace(dir) {
  const models = counts.map((n) => `  users_${n}: { source: warehouse, sql: "${modelSql(n)}" }`).join('\n');
  const syncs = counts
    .map(
      (n) => `  users-${n}:
    model: users_${n}
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.name: name
      traits.score: score
      traits.createdAt: created_at
      traits.profile: profile`,
    )
    .join('\n');
  await writeFile(
    join(dir, 'sluice.yaml'),
    `sources:
  warehouse: { type: postgres, url: "${databaseUrl()}" }
destinations:
  segment: { type: segment, write_key: bench-key, endpoint: "http://127.0.0.1:9" }
models:
${models}
syncs:
${syncs}
`,
  );
}

// In each child: after every major GC, the heap in use — what the run really holds, as opposed to
// garbage V8 has not collected yet; observed, never forced, so the run is not disturbed — and at
// exit the peak RSS (getrusage's ru_maxrss, KiB on Linux).
const PROBE = `data:text/javascript,${encodeURIComponent(`
import { constants, PerformanceObserver } from 'node:perf_hooks';
let live = 0;
new PerformanceObserver((list) => {
  if (list.getEntries().some((e) => e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
    live = Math.max(live, process.memoryUsage().heapUsed);
  }
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => process.stderr.write('\\nSLUICE_PROBE=' + JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, liveHeap: live }) + '\\n'));
`)}`;

// The source alone: the sync's extract query (the model wrapped in the duplicate-key window),
// streamed through the compiled postgres source, rows counted and dropped.
const SOURCE_ONLY = `
const [registryUrl, workspaceUrl, extractUrl, url, sql, batchSize] = process.argv.slice(1);
const { createSource } = await import(registryUrl);
const { Secret } = await import(workspaceUrl);
const { extractRows } = await import(extractUrl);
const source = await createSource({ type: 'postgres', url: new Secret(url) }, { name: 'bench', workspaceDir: '/' });
let rows = 0;
for await (const batch of extractRows(source, sql, 'id', { batchSize: Number(batchSize) })) rows += batch.length;
await source.close();
process.stdout.write(JSON.stringify({ extracted: rows }));
`;

/** The node flags bin/sluice.js's shebang passes, so the CLI is measured as users run it. */
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(bin, 'utf8'))?.[1] ?? '')
  .trim()
  .split(/\s+/)
  .filter(Boolean);

/** Runs node with `argv` in a fresh process: its time, stdout parsed as JSON, peak RSS and live heap. */
function measure(argv) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...NODE_FLAGS, '--import', PROBE, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const probe = /SLUICE_PROBE=(.*)/.exec(stderr);
      if (code !== 0 || probe === null) {
        reject(new Error(`node ${argv.slice(0, 3).join(' ')} … exited ${code}:\n${stdout}\n${stderr}`));
        return;
      }
      const { maxRssKb, liveHeap } = JSON.parse(probe[1]);
      resolve({
        seconds,
        output: JSON.parse(stdout),
        peakRssMb: maxRssKb / 1024,
        liveHeapMb: liveHeap / 2 ** 20,
      });
    });
  });
}

function sourceOnly(n) {
  const module = (path) => pathToFileURL(join(dist, path)).href;
  return measure([
    '--input-type=module',
    '-e',
    SOURCE_ONLY,
    module('sources/registry.js'),
    module('core/workspace.js'),
    module('sync/extract.js'),
    databaseUrl(),
    modelSql(n),
    String(BATCH_SIZE),
  ]);
}

function dryRun(dir, n) {
  return measure([bin, '-w', dir, 'sync', 'run', `users-${n}`, '--dry-run', '--json']);
}

function line(label, n, m) {
  return `${label.padEnd(12)} ${n.toLocaleString('en').padStart(10)} rows  ${m.seconds.toFixed(1).padStart(6)} s  ${Math.round(
    n / m.seconds,
  )
    .toLocaleString('en')
    .padStart(
      8,
    )} rows/s  peak RSS ${m.peakRssMb.toFixed(0).padStart(4)} MB  live heap ${m.liveHeapMb.toFixed(0).padStart(3)} MB\n`;
}

/** Checks the bounds; true when they hold. */
function judge(label, rows) {
  let ok = true;
  const worst = Math.max(...rows.map((r) => r.peakRssMb));
  if (worst > RSS_LIMIT_MB) {
    ok = false;
    process.stdout.write(`FAIL ${label}: peak RSS ${worst.toFixed(0)} MB is over ${RSS_LIMIT_MB} MB\n`);
  }
  const first = rows[0];
  const last = rows.at(-1);
  for (const [what, key] of [
    ['peak RSS', 'peakRssMb'],
    ['live heap', 'liveHeapMb'],
  ]) {
    if (rows.length > 1 && last[key] > first[key] + GROWTH_TOLERANCE_MB) {
      ok = false;
      process.stdout.write(
        `FAIL ${label}: ${what} grows with the row count (${first[key].toFixed(0)} MB for ${first.n.toLocaleString('en')} rows, ${last[key].toFixed(0)} MB for ${last.n.toLocaleString('en')})\n`,
      );
    }
  }
  return ok;
}

const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-pg-'));
process.stdout.write(
  `postgres-stream ${new Date().toISOString()}  node ${process.version}  ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}  ${Math.round(totalmem() / 2 ** 20)} MB  batch ${BATCH_SIZE}\n`,
);
let ok = true;
try {
  const t0 = Date.now();
  await createTable();
  process.stdout.write(
    `table of ${maxRows.toLocaleString('en')} rows in database ${database}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  await writeWorkspace(dir);
  const sources = [];
  const runs = [];
  for (const n of counts) {
    const m = await sourceOnly(n);
    if (m.output.extracted !== n) throw new Error(`the source read ${m.output.extracted} rows, not ${n}`);
    sources.push({ n, ...m });
    process.stdout.write(line('source only', n, m));
  }
  for (const n of counts) {
    const m = await dryRun(dir, n);
    const result = m.output;
    if (result.status !== 'completed' || result.counts.extracted !== n || result.counts.planned !== n) {
      throw new Error(`dry run of ${n} rows did not complete: ${JSON.stringify(result)}`);
    }
    runs.push({ n, ...m });
    process.stdout.write(line('dry run', n, m));
  }
  ok = judge('source only', sources) && ok;
  ok = judge('dry run', runs) && ok;
  if (ok) process.stdout.write(`ok: peak RSS under ${RSS_LIMIT_MB} MB, and flat in the row count\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
  if (args.keep) process.stdout.write(`kept database ${database}\n`);
  else await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}
process.exitCode = ok ? 0 : 1;
