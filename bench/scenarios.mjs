// The scenarios of `npm run bench` (issue 6). Each reports one line through `ctx.report`; ratios are
// taken against figures measured earlier in the same run, because this machine's speed drifts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  CHANGE_ONE_PERCENT_SQL,
  ordersTableSql,
  TOGGLE_ONE_PERCENT_SQL,
  usersTablePostgresSql,
  usersTableSql,
  writeWorkspace,
} from './fixtures.mjs';
import { runJob } from './processes.mjs';
import { format, median, memory, rowsNote } from './report.mjs';

const USERS_SYNC = 'users-to-segment';
const ORDERS_SYNC = 'orders-to-segment';
const succeeded = (result) => result.counts.succeeded;

/** The DuckDB memory_limit of the 1M-row scenarios, as a note for their lines. */
const limitNote = (ctx) => `memory_limit ${ctx.options.duckdbMemoryLimit ?? "Sluice's default"}`;

/** Rows whose id is 7 mod 100, among ids 1…rows: what CHANGE_ONE_PERCENT_SQL touches. */
const changedRows = (rows) => (rows >= 7 ? Math.floor((rows - 7) / 100) + 1 : 0);

async function usersWarehouse(ctx) {
  ctx.usersWarehouse ??= (async () => {
    const path = ctx.path('users.duckdb');
    await ctx.duckdb(`building ${format.int(ctx.options.rows)} users`, {
      path,
      statements: [usersTableSql(ctx.options.rows)],
    });
    return path;
  })();
  return ctx.usersWarehouse;
}

async function rawOnce(ctx) {
  const m = await ctx.measure(
    'raw',
    { url: ctx.receiver.url, rows: ctx.options.rows },
    { sentOf: (r) => r.messages },
  );
  const measured = { ...m, elapsedMs: m.result.elapsedMs, rate: m.sent / (m.result.elapsedMs / 1000) };
  ctx.lastRaw = measured;
  return measured;
}

/**
 * Runs `fn` between two raw-client runs (reusing the raw run just before, if any) and returns its
 * result with `rawRate`, the mean of the two: the ceiling at the time `fn` ran.
 */
async function betweenRaws(ctx, fn) {
  const before = ctx.lastJobWasRaw() ? ctx.lastRaw : await rawOnce(ctx);
  const result = await fn();
  const after = await rawOnce(ctx);
  return { ...result, rawRate: (before.rate + after.rate) / 2, rawRates: [before.rate, after.rate] };
}

/**
 * One sync (fresh state) measured between two raw runs and reported as `label` with its ratio to
 * them; `notes[0]` introduces the raw rates, the rest follow them.
 */
async function syncBetweenRaws(
  ctx,
  { label, profileName, dir, name, expectedRows, notes: [rawsNote, ...notes] },
) {
  const m = await betweenRaws(ctx, () =>
    ctx.measure('sync', { dir, name }, { sentOf: succeeded, profileName }),
  );
  ctx.printProfile(profileName, m);
  ctx.report(label, {
    rows: m.result.counts.extracted,
    sent: m.sent,
    elapsedMs: m.result.elapsedMs,
    ratioToRaw: m.sent / (m.result.elapsedMs / 1000) / m.rawRate,
    ...memory(m),
    cpuMs: m.cpuMs,
    receiverCpuMs: m.receiverCpuMs,
    notes: [
      `${rawsNote}: ${m.rawRates.map((x) => format.int(x)).join(', ')} msg/s`,
      ...notes,
      ...rowsNote(m.result.counts.extracted, expectedRows),
      ...m.notes,
    ],
  });
}

async function initialOnce(ctx, repetition) {
  const warehouse = await usersWarehouse(ctx);
  const dir = await writeWorkspace(ctx.path(`initial-${repetition}`), {
    warehouse,
    receiverUrl: ctx.receiver.url,
    memoryLimit: ctx.options.duckdbMemoryLimit,
    freshState: true,
  });
  const m = await ctx.measure(
    'sync',
    { dir, name: USERS_SYNC },
    { sentOf: succeeded, profileName: repetition === 1 ? 'initial' : undefined },
  );
  ctx.printProfile('initial', m);
  return { ...m, elapsedMs: m.result.elapsedMs, dir };
}

/**
 * raw and initial, interleaved: raw, initial, raw, initial, …, raw. Each initial is compared with
 * the mean of the raw runs just before and after it, so a drift in machine speed during the pair
 * (other processes, thermal or host limits) weighs on both sides alike.
 */
export async function rawAndInitial(ctx, { raw, initial }) {
  const raws = [];
  const initials = [];
  for (let r = 1; r <= ctx.options.repeat; r++) {
    if (raw || initial) raws.push(await rawOnce(ctx));
    if (initial) initials.push(await initialOnce(ctx, r));
  }
  if (initial) raws.push(await rawOnce(ctx));
  const rateOf = (m) => m.sent / (m.elapsedMs / 1000);
  if (raws.length > 0) {
    const rates = raws.map(rateOf);
    ctx.rawRate = median(rates);
    const m = raws[Math.floor(raws.length / 2)];
    ctx.report('raw ceiling', {
      rows: ctx.options.rows,
      sent: m.sent,
      elapsedMs: median(raws.map((x) => x.elapsedMs)),
      ...memory(m),
      cpuMs: m.cpuMs,
      receiverCpuMs: m.receiverCpuMs,
      notes: [
        `${format.int(m.result.avgMessageBytes)} B/message, ${m.requests} requests`,
        ...(raws.length > 1
          ? [`median of ${raws.length}: ${rates.map((x) => format.int(x)).join(', ')}`]
          : []),
        ...m.notes,
      ],
    });
  }
  if (initials.length > 0) {
    const ratios = initials.map((m, i) => rateOf(m) / ((rateOf(raws[i]) + rateOf(raws[i + 1])) / 2));
    const elapsedMs = median(initials.map((m) => m.elapsedMs));
    const last = initials[initials.length - 1];
    ctx.initial = { elapsedMs, ratioToRaw: median(ratios), dir: last.dir };
    ctx.report('initial', {
      rows: last.result.counts.extracted,
      sent: last.sent,
      elapsedMs,
      ratioToRaw: ctx.initial.ratioToRaw,
      ...memory(initials.reduce((a, b) => (b.rssPeak > a.rssPeak ? b : a))),
      cpuMs: last.cpuMs,
      receiverCpuMs: last.receiverCpuMs,
      notes: [
        ...(initials.length > 1 ? [`ratios ${ratios.map((x) => x.toFixed(3)).join(', ')}`] : []),
        limitNote(ctx),
        ...rowsNote(last.result.counts.extracted, ctx.options.rows),
        ...last.notes,
      ],
    });
  }
}

/**
 * The users sync with its state in PostgreSQL (`state: postgres://…`, a database made for the run):
 * an initial run, 1% changed, nothing changed — each next to the same run on SQLite state from this
 * bench run (`initial`, `incremental`), when those ran.
 */
export async function postgresState(ctx) {
  const admin = process.env.SLUICE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `sluice_bench_state_${randomBytes(4).toString('hex')}`;
  const url = new URL(admin);
  url.pathname = `/${database}`;
  const query = async (sql) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await query(`CREATE DATABASE ${database}`);
  try {
    const warehouse = await usersWarehouse(ctx);
    const dir = await writeWorkspace(ctx.path('postgres-state'), {
      warehouse,
      receiverUrl: ctx.receiver.url,
      memoryLimit: ctx.options.duckdbMemoryLimit,
      freshState: true,
      state: url.href,
    });
    const versus = (ms, sqliteMs, what) =>
      sqliteMs === undefined ? [] : [`${(ms / sqliteMs).toFixed(2)}× ${what} on SQLite state`];
    const run = async (label, profileName) => {
      const m = await ctx.measure('sync', { dir, name: USERS_SYNC }, { sentOf: succeeded, profileName });
      ctx.printProfile(label, m);
      return m;
    };
    const initial = await run('postgres state initial', 'postgres-state-initial');
    ctx.report('postgres state initial', {
      rows: initial.result.counts.extracted,
      sent: initial.sent,
      elapsedMs: initial.result.elapsedMs,
      ...memory(initial),
      cpuMs: initial.cpuMs,
      notes: [
        ...versus(initial.result.elapsedMs, ctx.initial?.elapsedMs, 'initial'),
        limitNote(ctx),
        ...initial.notes,
      ],
    });
    await ctx.duckdb('changing 1% of users', { path: warehouse, statements: [TOGGLE_ONE_PERCENT_SQL] });
    for (const [label, profileName, sqliteMs, what] of [
      ['postgres state 1%', 'postgres-state-1pct', ctx.incremental?.changedMs, 'incremental 1%'],
      ['postgres state no change', 'postgres-state-no-change', ctx.incremental?.sameMs, 'no change'],
    ]) {
      const m = await run(label, profileName);
      ctx.report(label, {
        rows: m.result.counts.extracted,
        sent: m.sent,
        elapsedMs: m.result.elapsedMs,
        ratioToInitial: m.result.elapsedMs / initial.result.elapsedMs,
        ...memory(m),
        cpuMs: m.cpuMs,
        notes: [...versus(m.result.elapsedMs, sqliteMs, what), limitNote(ctx), ...m.notes],
      });
    }
  } finally {
    await query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

/** The source-read floor: the extract query streamed into JS rows and dropped. */
export async function read(ctx) {
  const warehouse = await usersWarehouse(ctx);
  const job = await runJob(
    'source-read',
    {
      path: warehouse,
      sql: 'select * from users',
      keyColumn: 'id',
      memoryLimit: ctx.options.duckdbMemoryLimit,
    },
    { timeoutMs: ctx.options.timeoutMs },
  );
  ctx.report('read (reference)', {
    rows: job.result.rows,
    sent: 0,
    elapsedMs: job.result.elapsedMs,
    ...(ctx.initial ? { ratioToInitial: job.result.elapsedMs / ctx.initial.elapsedMs } : {}),
    ...memory(job),
    cpuMs: job.cpuMs,
    notes: [
      'DuckDBSource.stream of the extract query, rows dropped',
      limitNote(ctx),
      ...rowsNote(job.result.rows, ctx.options.rows),
    ],
  });
}

/** After initial: 1% of rows changed, then nothing changed, as a share of initial's time. */
export async function incremental(ctx) {
  if (ctx.initial === undefined) {
    ctx.note('incremental needs an initial run first: running it (its figures are reported too)');
    await rawAndInitial(ctx, { raw: true, initial: true });
  }
  const { dir } = ctx.initial;
  await ctx.duckdb('changing 1% of users', {
    path: await usersWarehouse(ctx),
    statements: [CHANGE_ONE_PERCENT_SQL],
  });
  const changed = await ctx.measure(
    'sync',
    { dir, name: USERS_SYNC },
    { sentOf: succeeded, profileName: 'changed-1pct' },
  );
  ctx.printProfile('incremental 1%', changed);
  const expected = changedRows(ctx.options.rows);
  ctx.report('incremental 1%', {
    rows: changed.result.counts.extracted,
    sent: changed.sent,
    elapsedMs: changed.result.elapsedMs,
    ratioToInitial: changed.result.elapsedMs / ctx.initial.elapsedMs,
    ...memory(changed),
    cpuMs: changed.cpuMs,
    notes: [
      ...(changed.sent === expected ? [] : [`EXPECTED ${format.int(expected)} SENT`]),
      limitNote(ctx),
      ...rowsNote(changed.result.counts.extracted, ctx.options.rows),
      ...changed.notes,
    ],
  });
  const same = await ctx.measure(
    'sync',
    { dir, name: USERS_SYNC },
    { sentOf: succeeded, profileName: 'no-change' },
  );
  ctx.printProfile('no change', same);
  ctx.incremental = { changedMs: changed.result.elapsedMs, sameMs: same.result.elapsedMs };
  ctx.report('no change', {
    rows: same.result.counts.extracted,
    sent: same.sent,
    elapsedMs: same.result.elapsedMs,
    ratioToInitial: same.result.elapsedMs / ctx.initial.elapsedMs,
    ...memory(same),
    cpuMs: same.cpuMs,
    notes: [limitNote(ctx), ...rowsNote(same.result.counts.extracted, ctx.options.rows), ...same.notes],
  });
}

/** Track events with a JSON properties bundle, each sent once. */
export async function events(ctx) {
  const warehouse = ctx.path('orders.duckdb');
  await ctx.duckdb(`building ${format.int(ctx.options.events)} orders`, {
    path: warehouse,
    statements: [ordersTableSql(ctx.options.events)],
  });
  const dir = await writeWorkspace(ctx.path('events'), {
    warehouse,
    receiverUrl: ctx.receiver.url,
    memoryLimit: ctx.options.duckdbMemoryLimit,
    freshState: true,
  });
  await syncBetweenRaws(ctx, {
    label: 'events',
    profileName: 'events',
    dir,
    name: ORDERS_SYNC,
    expectedRows: ctx.options.events,
    notes: ['vs identify raw runs around it', limitNote(ctx)],
  });
}

/** The same identify messages through @segment/analytics-node at its best settings. */
export async function analyticsNode(ctx) {
  const { anRows, flushAt } = ctx.options;
  const m = await betweenRaws(ctx, () =>
    ctx.measure(
      'analytics-node',
      { url: ctx.receiver.url, rows: anRows, flushAt },
      { sentOf: (r) => r.messages },
    ),
  );
  const rate = m.sent / (m.result.elapsedMs / 1000);
  const ratioToRaw = rate / m.rawRate;
  const notes = [`flushAt ${flushAt}, ${m.requests} requests`];
  // Both ratios are to raw runs next to them, so they compare across the drift between the two.
  if (ctx.initial) notes.push(`Sluice initial is ${(ctx.initial.ratioToRaw / ratioToRaw).toFixed(1)}× this`);
  if (m.result.failed > 0) notes.push(`${format.int(m.result.failed)} FAILED`);
  ctx.report('analytics-node', {
    rows: anRows,
    sent: m.sent,
    elapsedMs: m.result.elapsedMs,
    ratioToRaw,
    ...memory(m),
    cpuMs: m.cpuMs,
    receiverCpuMs: m.receiverCpuMs,
    notes: [...notes, ...m.notes],
  });
}

export { cursor } from './scenario-cursor.mjs';
export { large } from './scenario-large.mjs';

/**
 * initial with the model in PostgreSQL: the same 1M users in a database of their own (made and
 * dropped here), synced into the receiver between two raw runs.
 */
export async function postgresInitial(ctx) {
  const admin = process.env.SLUICE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const database = `sluice_bench_initial_${randomBytes(4).toString('hex')}`;
  const url = new URL(admin);
  url.pathname = `/${database}`;
  const withClient = async (connectionString, work) => {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${database}`));
  try {
    const started = performance.now();
    await withClient(url.href, async (c) => {
      await c.query(usersTablePostgresSql(ctx.options.rows));
      await c.query('ALTER TABLE users ADD PRIMARY KEY (id)');
      await c.query('ANALYZE users');
    });
    ctx.note(
      `building ${format.int(ctx.options.rows)} users in PostgreSQL: ${format.seconds(performance.now() - started)}`,
    );
    const dir = await writeWorkspace(ctx.path('postgres-initial'), {
      postgresUrl: url.href,
      receiverUrl: ctx.receiver.url,
      freshState: true,
    });
    await syncBetweenRaws(ctx, {
      label: 'postgres initial',
      profileName: 'postgres-initial',
      dir,
      name: USERS_SYNC,
      expectedRows: ctx.options.rows,
      notes: ['raw runs around it'],
    });
  } finally {
    await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

/**
 * The PostgreSQL scenario belongs to bench/postgres-stream.mjs (written separately). When present it
 * runs here with the receiver's URL and the row count, printing its own line(s).
 */
export async function postgres(ctx) {
  const script = fileURLToPath(new URL('./postgres-stream.mjs', import.meta.url));
  if (!existsSync(script)) {
    process.stdout.write('postgres                  skipped: bench/postgres-stream.mjs is not there yet\n');
    ctx.results.push({
      name: 'postgres',
      figures: null,
      details: { skipped: 'bench/postgres-stream.mjs missing' },
    });
    return;
  }
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [script, '--rows', String(ctx.options.rows)], {
      stdio: 'inherit',
      env: {
        ...process.env,
        SLUICE_BENCH_RECEIVER_URL: ctx.receiver.url,
        SLUICE_BENCH_ROWS: String(ctx.options.rows),
      },
    });
    child.on('exit', resolve);
  });
  if (code !== 0)
    process.stdout.write(`postgres              bench/postgres-stream.mjs exited with code ${code}\n`);
  ctx.results.push({ name: 'postgres', figures: null, details: { script, exitCode: code } });
}

export async function writeJson(ctx, file) {
  await writeFile(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), options: ctx.options, results: ctx.results }, null, 2)}\n`,
  );
}
