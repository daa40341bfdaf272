// The benchmark's data and workspaces: a DuckDB `users` table (identify) and `orders` table (track),
// and the sluice.yaml that syncs them. The raw and analytics-node clients rebuild the same user
// values in JavaScript (`userValues`), so every client sends equivalent messages.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Name pools shared by the SQL and the JS generator, so both produce the same rows. */
const FIRST = ['Ada', 'Grace', 'Margaret', 'Katherine', 'Dorothy', 'Barbara', 'Frances', 'Radia'];
const LAST = ['Lovelace', 'Hopper', 'Hamilton', 'Johnson', 'Vaughan', 'Liskov', 'Allen', 'Perlman', 'Wing'];
const PLANS = ['free', 'pro', 'team'];
const CREATED_BASE_MS = Date.parse('2024-03-01T12:00:00.000Z');

const sqlList = (values) => `[${values.map((v) => `'${v}'`).join(', ')}]`;

/**
 * `users` with `rows` rows: the id key plus the six columns the user sync maps (email, first and
 * last name joined by a Liquid template, age, score, created_at, plan).
 */
export function usersTableSql(rows, table = 'users') {
  return `create or replace table ${table} as
select i as id,
       lower((${sqlList(FIRST)})[1 + i % ${FIRST.length}]) || '.' ||
         lower((${sqlList(LAST)})[1 + i % ${LAST.length}]) || '.' || i || '@example-mail.com' as email,
       (${sqlList(FIRST)})[1 + i % ${FIRST.length}] as first_name,
       (${sqlList(LAST)})[1 + i % ${LAST.length}] as last_name,
       18 + i % 60 as age,
       round(i / 7.0, 2)::decimal(12,2) as score,
       timestamptz '2024-03-01 12:00:00+00' + to_milliseconds(i * 1001) as created_at,
       (${sqlList(PLANS)})[1 + i % ${PLANS.length}] as plan
from range(1, ${rows + 1}) t(i)`;
}

/**
 * The same `users` as `usersTableSql`, as a PostgreSQL table (`ARRAY[…]` lists, `generate_series`,
 * `numeric`, an interval per millisecond): row for row the values the DuckDB table holds.
 */
export function usersTablePostgresSql(rows) {
  const pgList = (values) => `ARRAY${sqlList(values)}`;
  return `create table users as
select i::bigint as id,
       lower((${pgList(FIRST)})[1 + i % ${FIRST.length}]) || '.' ||
         lower((${pgList(LAST)})[1 + i % ${LAST.length}]) || '.' || i || '@example-mail.com' as email,
       (${pgList(FIRST)})[1 + i % ${FIRST.length}] as first_name,
       (${pgList(LAST)})[1 + i % ${LAST.length}] as last_name,
       18 + i % 60 as age,
       round(i / 7.0, 2)::numeric(12,2) as score,
       timestamptz '2024-03-01 12:00:00+00' + (i * 1001) * interval '1 millisecond' as created_at,
       (${pgList(PLANS)})[1 + i % ${PLANS.length}] as plan
from generate_series(1, ${rows}) as t(i)`;
}

/** The same values as a row of `usersTableSql`, mapped the way the user sync maps them. */
export function userValues(i) {
  const first = FIRST[i % FIRST.length];
  const last = LAST[i % LAST.length];
  return {
    userId: String(i),
    traits: {
      email: `${first.toLowerCase()}.${last.toLowerCase()}.${i}@example-mail.com`,
      name: `${first} ${last}`,
      age: 18 + (i % 60),
      score: Math.round((i / 7) * 100) / 100,
      createdAt: new Date(CREATED_BASE_MS + i * 1001).toISOString(),
      plan: PLANS[i % PLANS.length],
    },
  };
}

/** 1% of the users change plan: the rows whose id ends in 07 (mod 100). */
export const CHANGE_ONE_PERCENT_SQL = `update users set plan = 'enterprise' where id % 100 = 7`;

/** Changes the same 1% of users again, whatever they hold now (a second incremental on one warehouse). */
export const TOGGLE_ONE_PERCENT_SQL = `update users set plan = case when plan = 'enterprise' then 'team' else 'enterprise' end where id % 100 = 7`;

/** `orders` with `rows` rows, each a track event with a JSON properties bundle. */
export function ordersTableSql(rows) {
  return `create or replace table orders as
select 'ord_' || i as order_id,
       (i % 250000) + 1 as user_id,
       round(i * 1.25 % 1000, 2)::decimal(12,2) as total,
       timestamptz '2021-05-04 10:00:00+00' + to_milliseconds(i * 3607) as ordered_at,
       json_object('sku', 'sku_' || (i % 997),
                   'category', (['books', 'games', 'garden', 'kitchen'])[1 + i % 4],
                   'quantity', 1 + i % 5,
                   'coupon', case when i % 2 = 0 then 'SPRING' end,
                   'currency', 'USD',
                   'shipping', json_object('method', 'standard', 'days', 2 + i % 4)) as props_json
from range(1, ${rows + 1}) t(i)`;
}

/**
 * Writes a workspace folder whose sources point at `warehouse` (an absolute DuckDB path), with its
 * own state file, so several workspaces can share one warehouse. `freshState` removes the state first.
 * With `postgresUrl` the source is that PostgreSQL database instead (its `users` table).
 * `memoryLimit` becomes the source's `memory_limit` (absent: DuckDB's own default, as a user gets).
 */
export async function writeWorkspace(
  dir,
  {
    warehouse,
    postgresUrl,
    receiverUrl,
    memoryLimit,
    concurrency = 4,
    freshState = false,
    state = 'sqlite:.sluice/state.db',
  },
) {
  // A reused --work-dir keeps state between bench runs; an initial run must start without any.
  if (freshState) await rm(join(dir, '.sluice'), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const yaml = `state: ${state}
sources:
  warehouse: ${postgresUrl ? `{ type: postgres, url: ${JSON.stringify(postgresUrl)} }` : `{ type: duckdb, path: ${JSON.stringify(warehouse)}${memoryLimit ? `, memory_limit: ${memoryLimit}` : ''} }`}
destinations:
  segment: { type: segment, write_key: bench-key, endpoint: "${receiverUrl}", concurrency: ${concurrency} }
models:
  users: { source: warehouse, sql: "select * from users" }
  orders: { source: warehouse, sql: "select * from orders" }
syncs:
  users-to-segment:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.name: { template: "{{ first_name }} {{ last_name }}" }
      traits.age: age
      traits.score: score
      traits.createdAt: created_at
      traits.plan: { column: plan }
      context.source: { constant: warehouse }
  orders-to-segment:
    model: orders
    destination: segment
    object: event
    key: { column: order_id }
    mappings:
      event: { constant: Order Completed }
      userId: user_id
      timestamp: ordered_at
      properties: { column: props_json }
      properties.revenue: total
      context.source: { constant: warehouse }
`;
  await writeFile(join(dir, 'sluice.yaml'), yaml);
  return dir;
}
