// The event cursor scenario (issue 17): an event sync over many events (10M by default) of which 1%
// were just appended, with `cursor:` and without it, on the same warehouse. Both syncs start from a
// baseline (`backfill: false`: the events that exist are remembered, not sent), so the figures are
// the runs a user pays for every hour, not the first one.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, memory, rowsNote } from './report.mjs';

const PLAIN = 'clicks-plain';
const CURSOR = 'clicks-cursor';

/** Events `from` … `to - 1`, one a second from 2026-01-01, over 100,000 users. */
const clicksSql = (from, to) =>
  `select 'c' || i as id, 'u' || (i % 100000) as user_id,
          timestamp '2026-01-01' + to_seconds(i) as occurred_at
   from range(${from}, ${to}) t(i)`;

async function writeCursorWorkspace(dir, { warehouse, receiverUrl, memoryLimit }) {
  await mkdir(dir, { recursive: true });
  const sync = (
    extra,
  ) => `{ model: clicks, destination: segment, object: event, key: id, backfill: false${extra},
    mappings: { event: { constant: Clicked }, userId: user_id, timestamp: occurred_at } }`;
  await writeFile(
    join(dir, 'sluice.yaml'),
    `state: sqlite:.sluice/state.db
sources:
  warehouse: { type: duckdb, path: ${JSON.stringify(warehouse)}${memoryLimit ? `, memory_limit: ${memoryLimit}` : ''} }
destinations:
  segment: { type: segment, write_key: bench-key, endpoint: "${receiverUrl}", concurrency: 4 }
models:
  clicks: { source: warehouse, sql: "select * from clicks" }
syncs:
  ${PLAIN}: ${sync('')}
  ${CURSOR}: ${sync(', cursor: { column: occurred_at, lookback: 1h }')}
`,
  );
  return dir;
}

export async function cursor(ctx) {
  const { cursorEvents: rows, largeMemoryLimit: memoryLimit, timeoutMs } = ctx.options;
  const limit = `memory_limit ${memoryLimit ?? "Sluice's default"}`;
  const warehouse = ctx.path('clicks.duckdb');
  const dir = ctx.path('cursor-ws');
  await rm(join(dir, '.sluice'), { recursive: true, force: true });
  await ctx.duckdb(`building ${format.int(rows)} events`, {
    path: warehouse,
    statements: [`create or replace table clicks as ${clicksSql(1, rows + 1)}`],
  });
  await writeCursorWorkspace(dir, { warehouse, receiverUrl: ctx.receiver.url, memoryLimit });
  const sentOf = (r) => r.counts.succeeded;
  for (const name of [PLAIN, CURSOR]) {
    const seed = await ctx.measure('sync', { dir, name }, { sentOf, timeoutMs: 4 * timeoutMs });
    ctx.note(`${name}: ${format.int(rows)} events remembered in ${format.seconds(seed.result.elapsedMs)}`);
  }
  const added = Math.floor(rows / 100);
  await ctx.duckdb(`appending ${format.int(added)} events (1%)`, {
    path: warehouse,
    statements: [`insert into clicks ${clicksSql(rows + 1, rows + added + 1)}`],
  });
  for (const [what, expected] of [
    ['1% new', added],
    ['no change', 0],
  ]) {
    const plain = await ctx.measure('sync', { dir, name: PLAIN }, { sentOf, profileName: `events-${what}` });
    const withCursor = await ctx.measure(
      'sync',
      { dir, name: CURSOR },
      { sentOf, profileName: `cursor-${what}` },
    );
    ctx.printProfile(`events ${what}, no cursor`, plain);
    ctx.printProfile(`events ${what}, cursor`, withCursor);
    const check = (m) => (m.sent === expected ? [] : [`EXPECTED ${format.int(expected)} SENT`]);
    ctx.report(`events ${what}, no cursor`, {
      rows: plain.result.counts.extracted,
      sent: plain.sent,
      elapsedMs: plain.result.elapsedMs,
      ...memory(plain),
      cpuMs: plain.cpuMs,
      notes: [
        ...check(plain),
        limit,
        ...rowsNote(plain.result.counts.extracted, rows + added),
        ...plain.notes,
      ],
    });
    ctx.report(`events ${what}, cursor`, {
      rows: withCursor.result.counts.extracted,
      sent: withCursor.sent,
      elapsedMs: withCursor.result.elapsedMs,
      ...memory(withCursor),
      cpuMs: withCursor.cpuMs,
      notes: [
        ...check(withCursor),
        `${format.pct(withCursor.result.elapsedMs / plain.result.elapsedMs)} of the run without a cursor`,
        'window: the new events and the 1h lookback',
        ...withCursor.notes,
      ],
    });
  }
}
