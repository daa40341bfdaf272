// The same syncs on SQLite state and on PostgreSQL state (`state: postgres://…`): an initial run of
// N users and a run where nothing changed, each timed as a user runs it. Not part of `npm test`;
// needs `npm run build` first (it runs bin/sluice.js, the compiled CLI) and a PostgreSQL server.
//
//   npm run build && node bench/state-postgres.mjs [--rows 100000] [--repeat 1]
//     [--admin-url postgres://postgres@127.0.0.1:5432/test]
//
// The state database is created for the run (named sluice_bench_state_<random>) and dropped after.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { usersTableSql, writeWorkspace } from './fixtures.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '1' },
    'admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'node bench/state-postgres.mjs [--rows 100000] [--repeat 1] [--admin-url URL]  (after npm run build)',
  );
  process.exit(0);
}
const rows = Number(args.rows);
const repeat = Number(args.repeat);
const root = fileURLToPath(new URL('..', import.meta.url));
const { startReceiver } = await import(join(root, 'dist/receiver/receiver.js'));

const work = await mkdtemp(join(tmpdir(), 'sluice-state-postgres-'));
const warehouse = join(work, 'warehouse.duckdb');
const database = `sluice_bench_state_${randomBytes(4).toString('hex')}`;
const adminUrl = new URL(args['admin-url']);
const stateUrl = new URL(adminUrl);
stateUrl.pathname = `/${database}`;

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `sluice ARGS…` as a user runs it: the compiled CLI. */
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
        ? resolve(stdout)
        : reject(new Error(`sluice ${cliArgs.join(' ')}: exit ${code}\n${stderr}`)),
    );
  });
}

async function timedRun(dir, expectSucceeded) {
  const started = performance.now();
  const result = JSON.parse(await sluice('-w', dir, 'sync', 'run', 'users-to-segment', '--json'));
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 'completed' || result.counts.succeeded !== expectSucceeded) {
    throw new Error(`unexpected run: ${JSON.stringify(result.counts)} ${result.status}`);
  }
  return seconds;
}

const receiver = await startReceiver({ port: 0, keepMessages: false });
try {
  const instance = await DuckDBInstance.create(warehouse);
  const connection = await instance.connect();
  await connection.run(usersTableSql(rows));
  connection.closeSync();
  instance.closeSync();
  await admin(`CREATE DATABASE ${database}`);

  const figures = { sqlite: { initial: [], unchanged: [] }, postgres: { initial: [], unchanged: [] } };
  for (let i = 0; i < repeat; i++) {
    for (const kind of ['sqlite', 'postgres']) {
      const dir = join(work, `${kind}-${i}`);
      await writeWorkspace(dir, { warehouse, receiverUrl: receiver.url, freshState: true });
      if (kind === 'postgres') {
        const yaml = join(dir, 'sluice.yaml');
        const url = `${stateUrl.toString()}?schema=run_${i}`;
        await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/^state: .*$/m, `state: ${url}`));
      }
      figures[kind].initial.push(await timedRun(dir, rows));
      figures[kind].unchanged.push(await timedRun(dir, 0));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `${rows.toLocaleString('en-US')} users, median of ${repeat}; load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  for (const run of ['initial', 'unchanged']) {
    const sqlite = median(figures.sqlite[run]);
    const postgres = median(figures.postgres[run]);
    console.log(
      `${run.padEnd(10)} sqlite ${sqlite.toFixed(2)} s  postgres ${postgres.toFixed(2)} s  postgres/sqlite ${(postgres / sqlite).toFixed(2)}x`,
    );
  }
} finally {
  await receiver.close();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
