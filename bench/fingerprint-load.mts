// Loading a warehouse diff's delivered fingerprints (sync/warehouse-diff.ts), in isolation: not
// part of `npm test`. Runs from the sources (tsx), so that two checkouts compare with one script:
//
//   npx tsx bench/fingerprint-load.mts STATE N read|load|total [--reps 3] [--root DIR]
//
// STATE is a SQLite state file, or a PostgreSQL state URL (postgres://…?schema=…); when it does not
// exist yet, N delivered keys are written into it first through the store's own markSeen ("1"…"N",
// each with a salted md5 fingerprint, as a DuckDB model of integer ids gives them). Then, N times
// --reps, one of:
//   read   every page through the store (on its thread for SQLite) and fingerprintsTable's page loop;
//   load   the same pages, read beforehand, into DuckDBSource.streamWithTable's temporary table;
//   total  the two together, as a run does (the next page read while one loads).
// Prints wall time, the main thread's CPU time and the process's (every thread); --threads adds the
// busiest threads' CPU times (Linux only, from /proc).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    reps: { type: 'string', default: '3' },
    root: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    threads: { type: 'boolean', default: false },
  },
});
const [state, nText, mode] = positionals as [string, string, 'read' | 'load' | 'total'];
if (state === undefined || !['read', 'load', 'total'].includes(mode)) {
  console.log(
    'npx tsx bench/fingerprint-load.mts STATE N read|load|total [--reps 3] [--root DIR] [--threads]',
  );
  process.exit(1);
}
const N = Number(nText);
const root = resolve(args.root);
const { ThreadedStateStore } = await import(`${root}/src/state/sqlite/threaded-state-store.ts`);
const { PostgresStateStore } = await import(`${root}/src/state/postgres/postgres-state-store.ts`);
const { fingerprintsTable } = await import(`${root}/src/sync/warehouse-diff.ts`);
const { DuckDBSource } = await import(`${root}/src/sources/duckdb/duckdb-source.ts`);
const duckdb = await import(`${root}/node_modules/@duckdb/node-api/lib/index.js`);
const pg = (await import(`${root}/node_modules/pg/lib/index.js`)).default;

const sync = 'users-to-segment';
const salt = `${createHash('sha1').update('salt').digest('base64url')}\u0000`;
const onPostgres = state.startsWith('postgres://');
const open = () =>
  onPostgres ? PostgresStateStore.open({ Pool: pg.Pool }, state) : ThreadedStateStore.open(state);

async function exists(): Promise<boolean> {
  if (!onPostgres) return existsSync(state);
  const client = new pg.Client({ connectionString: state.split('?')[0] });
  await client.connect();
  try {
    const schema = new URL(state).searchParams.get('schema') ?? 'public';
    const found = await client.query(
      "select 1 from information_schema.tables where table_schema = $1 and table_name = 'key_states'",
      [schema],
    );
    return found.rowCount > 0;
  } finally {
    await client.end();
  }
}

if (!(await exists())) {
  const store = await open();
  const started = performance.now();
  let writing: Promise<void> = Promise.resolve();
  for (let first = 1; first <= N; first += 20_000) {
    const entries = [];
    for (let i = first; i < Math.min(N + 1, first + 20_000); i++) {
      const md5 = createHash('md5').update(String(i)).digest('hex');
      entries.push({ key: String(i), hash: md5.slice(0, 27), sourceHash: salt + md5 });
    }
    await writing;
    writing = store.ledger.markSeen(sync, entries);
  }
  await writing;
  await store.close();
  console.log(`wrote ${N} delivered keys in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** CPU milliseconds per thread of this process, by "tid:name". */
function threadTimes(): Map<string, number> {
  const times = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      times.set(
        `${tid}${tid === String(process.pid) ? ' (main)' : ''}:${name}`,
        (Number(fields[11]) + Number(fields[12])) * 10,
      );
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return times;
}
function mainTime(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const processTime = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const rowsOf = (page: { rows: number } | string[][]) => ('rows' in page ? page.rows : (page[0]?.length ?? 0));

const store = await open();
const source = new DuckDBSource(
  duckdb,
  { type: 'duckdb', path: ':memory:' },
  { name: 'bench', workspaceDir: root },
);
async function load(pages: AsyncIterable<unknown>): Promise<number> {
  const table = { name: 'sluice_fingerprints', columns: ['key', 'row_hash'], pages };
  let count = 0;
  for await (const batch of source.streamWithTable(
    table,
    'select count(*)::integer as n from temp.sluice_fingerprints',
    { batchSize: 10 },
  )) {
    count = (batch[0] as { n: number }).n;
  }
  return count;
}
for (let rep = 0; rep < Number(args.reps); rep++) {
  const preread: unknown[] = [];
  if (mode === 'load')
    for await (const page of fingerprintsTable(store, sync, salt).pages) preread.push(page);
  const before = {
    wall: performance.now(),
    main: mainTime(),
    process: processTime(),
    threads: threadTimes(),
  };
  let rows = 0;
  if (mode === 'read') {
    for await (const page of fingerprintsTable(store, sync, salt).pages) rows += rowsOf(page);
  } else if (mode === 'load') {
    rows = await load(
      (async function* () {
        yield* preread;
      })(),
    );
  } else {
    rows = await load(fingerprintsTable(store, sync, salt).pages);
  }
  const wall = performance.now() - before.wall;
  if (rows !== N) throw new Error(`${rows} fingerprints, expected ${N}`);
  console.log(
    `${mode} ${N}: wall ${(wall / 1000).toFixed(2)} s, main thread ${((mainTime() - before.main) / 1000).toFixed(2)} s, ` +
      `process ${((processTime() - before.process) / 1000).toFixed(2)} s`,
  );
  if (args.threads) {
    const busiest = [...threadTimes()]
      .map(([thread, ms]) => [thread, ms - (before.threads.get(thread) ?? 0)] as const)
      .filter(([, ms]) => ms >= 50)
      .sort((a, b) => b[1] - a[1]);
    console.log(`  threads: ${busiest.map(([thread, ms]) => `${thread} ${ms} ms`).join(', ')}`);
  }
}
await source.close();
await store.close();
