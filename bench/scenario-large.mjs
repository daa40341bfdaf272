// The large no-change scenario: a sync over many rows (10M by default) of which none changed, next
// to the bare DuckDB query that finds the same answer (hash every row, join with the hashes of the
// last run) — the floor a diff that runs inside DuckDB could reach.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { usersTableSql, writeWorkspace } from './fixtures.mjs';
import { format, memory, rowsNote } from './report.mjs';

const COLUMNS = 'email, first_name, last_name, age, score, created_at, plan';
const SNAPSHOT_SQL = `create or replace table users_snapshot as select id, hash(${COLUMNS}) as h from users`;
const DIFF_SQL = `select count(*) as changed from users u left join users_snapshot s using (id)
where s.h is distinct from hash(u.${COLUMNS.split(', ').join(', u.')})`;

export async function large(ctx) {
  const { largeRows: rows, largeMemoryLimit: memoryLimit, timeoutMs } = ctx.options;
  const limit = memoryLimit ?? "Sluice's default";
  const warehouse = ctx.path('large.duckdb');
  const dir = ctx.path('large-ws');
  const marker = ctx.path('large-ws', `.seeded-${rows}`);

  if (existsSync(marker)) {
    ctx.note(`reusing the seeded state of ${format.int(rows)} users in ${dir}`);
  } else {
    await ctx.duckdb(`building ${format.int(rows)} users`, {
      path: warehouse,
      statements: [usersTableSql(rows), SNAPSHOT_SQL],
    });
    await writeWorkspace(dir, { warehouse, receiverUrl: ctx.receiver.url, memoryLimit, freshState: true });
    ctx.note(`seeding: a first sync of ${format.int(rows)} users (DuckDB memory_limit ${limit})`);
    const seed = await ctx.measure(
      'sync',
      { dir, name: 'users-to-segment' },
      { sentOf: (r) => r.counts.succeeded, timeoutMs: 4 * timeoutMs },
    );
    ctx.report('large seed (initial)', {
      rows: seed.result.counts.extracted,
      sent: seed.sent,
      elapsedMs: seed.result.elapsedMs,
      ...(ctx.rawRate ? { ratioToRaw: seed.sent / (seed.result.elapsedMs / 1000) / ctx.rawRate } : {}),
      ...memory(seed),
      cpuMs: seed.cpuMs,
      receiverCpuMs: seed.receiverCpuMs,
      notes: seed.notes,
    });
    await writeFile(marker, `${new Date().toISOString()}\n`);
  }
  // The receiver URL (and maybe the memory limit) change from run to run: rewrite the workspace
  // (the state stays).
  await writeWorkspace(dir, { warehouse, receiverUrl: ctx.receiver.url, memoryLimit });

  const same = await ctx.measure(
    'sync',
    { dir, name: 'users-to-segment' },
    { sentOf: (r) => r.counts.succeeded, profileName: 'large-no-change' },
  );
  ctx.printProfile('large no change', same);
  const diff = await ctx.duckdb('bare DuckDB diff query', {
    path: warehouse,
    statements: [DIFF_SQL],
    memoryLimit,
  });
  ctx.report('large no change', {
    rows: same.result.counts.extracted,
    sent: same.sent,
    elapsedMs: same.result.elapsedMs,
    ...memory(same),
    cpuMs: same.cpuMs,
    notes: [
      `${(same.result.elapsedMs / diff.elapsedMs).toFixed(1)}× the bare DuckDB diff`,
      `memory_limit ${limit}`,
      ...rowsNote(same.result.counts.extracted, rows),
      ...same.notes,
    ],
  });
  ctx.report('large DuckDB diff (ref)', {
    rows,
    sent: 0,
    elapsedMs: diff.elapsedMs,
    notes: [`hash every row + join with last hashes; ${diff.last?.changed ?? '?'} changed`],
  });
}
