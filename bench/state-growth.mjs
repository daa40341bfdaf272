// How big the SQLite state gets when every user changes on every run, with and without `retention`
// (README "Retention"). Not part of `npm test`; needs `npm run build` first (it runs bin/sluice.js,
// the compiled CLI, exactly as a user does). Prints the state's size after each run.
//
//   npm run build && node bench/state-growth.mjs [--rows 200000] [--runs 5] [--work-dir DIR]
//
// Two workspaces sync the same DuckDB users into one local receiver:
// - "no retention": every run's records stay, so the state grows by a run's worth each run;
// - "retention": `retention: { runs: R }`, R about 1.5 runs long (measured on the first run), and
//   a pause of R between runs, so that the automatic prune at the end of each run finds the run
//   before it older than R (and its own run not): what a daily prune with `runs: 30d` does to a
//   sync's 31st day. At the end, `sluice prune` also rewrites the file (VACUUM).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { usersTableSql, writeWorkspace } from './fixtures.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '5' },
    'work-dir': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'node bench/state-growth.mjs [--rows 200000] [--runs 5] [--work-dir DIR]  (after npm run build)',
  );
  process.exit(0);
}
const rows = Number(args.rows);
const runs = Number(args.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const { startReceiver } = await import(join(root, 'dist/receiver/receiver.js'));

const work = args['work-dir'] ?? (await mkdtemp(join(tmpdir(), 'sluice-state-growth-')));
const warehouse = join(work, 'warehouse.duckdb');
const receiver = await startReceiver({ port: 0, keepMessages: false });
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function duckdb(sql) {
  const instance = await DuckDBInstance.create(warehouse);
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `sluice ARGS…` as a user runs it: the compiled CLI with bin/sluice.js's Node flags. */
function sluice(...cliArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--max-semi-space-size=32', join(root, 'bin/sluice.js'), ...cliArgs],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`sluice ${cliArgs.join(' ')}: exit ${code}\n${stderr}`)),
    );
  });
}

/** The state's bytes on disk: the database file and its WAL. */
async function stateSize(dir) {
  const file = join(dir, '.sluice', 'state.db');
  const size = async (path) => (await stat(path).catch(() => ({ size: 0 }))).size;
  const db = await size(file);
  const wal = await size(`${file}-wal`);
  return { db, wal, total: db + wal };
}

async function workspace(name, retentionSeconds) {
  const dir = join(work, name);
  await writeWorkspace(dir, { warehouse, receiverUrl: receiver.url, freshState: true });
  if (retentionSeconds !== undefined) {
    const yaml = join(dir, 'sluice.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(yaml, `retention: { runs: ${retentionSeconds}s }\n${await readFile(yaml, 'utf8')}`);
  }
  return dir;
}

/** One run of every user, all changed since the last run (a new plan each run). */
async function run(dir, n) {
  await duckdb(`update users set plan = 'plan-${n}'`);
  const started = Date.now();
  const { stdout, stderr } = await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json');
  const result = JSON.parse(stdout);
  if (result.status !== 'completed' || result.counts.succeeded !== rows) {
    throw new Error(`run ${n} did not deliver every row: ${stdout}`);
  }
  const pruned = stderr.match(/^Pruned .*$/m)?.[0];
  return { seconds: (Date.now() - started) / 1000, pruned };
}

const report = (label, n, seconds, size, note = '') =>
  console.log(
    `${label.padEnd(13)} run ${n}  ${seconds.toFixed(1).padStart(5)} s  state ${mb(size.total).padStart(9)} (db ${mb(size.db)}, wal ${mb(size.wal)})${note ? `  ${note}` : ''}`,
  );

try {
  console.log(
    `${rows.toLocaleString('en-US')} users, every one changed before each of ${runs} runs; work dir ${work}`,
  );
  await duckdb(usersTableSql(rows));

  const plain = await workspace('no-retention');
  let longest = 0;
  for (let n = 1; n <= runs; n++) {
    const { seconds } = await run(plain, n);
    longest = Math.max(longest, seconds);
    report('no retention', n, seconds, await stateSize(plain));
  }

  const retention = Math.ceil(longest * 1.5) + 5;
  const kept = await workspace('retention', retention);
  for (let n = 1; n <= runs; n++) {
    if (n > 1) await new Promise((resolve) => setTimeout(resolve, retention * 1000));
    const { seconds, pruned } = await run(kept, n);
    report(
      `retention ${retention}s`,
      n,
      seconds,
      await stateSize(kept),
      pruned ? `(${pruned.slice(0, 60)}…)` : '',
    );
  }
  const started = Date.now();
  const { stdout } = await sluice('-w', kept, 'prune', '--json');
  const size = await stateSize(kept);
  console.log(
    `sluice prune  ${((Date.now() - started) / 1000).toFixed(1)} s  ${stdout.replace(/\s+/g, ' ').trim()}  state ${mb(size.total)} (db ${mb(size.db)}, wal ${mb(size.wal)})`,
  );
} finally {
  await receiver.close();
  if (args['work-dir'] === undefined) await rm(work, { recursive: true, force: true });
}
