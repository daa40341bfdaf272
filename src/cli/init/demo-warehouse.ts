import { DuckDBInstance } from '@duckdb/node-api';

/**
 * The demo warehouse: deterministic sample users, accounts and events made by DuckDB itself, so the
 * demo needs no download. Sizes are small enough to sync in a second and large enough to show batching.
 */
export const DEMO_SQL = `
create or replace table accounts as
select
  i as id,
  'Account ' || i as name,
  (['Retail', 'Software', 'Health', 'Finance', 'Education'])[1 + (i % 5)] as industry,
  (['free', 'team', 'enterprise'])[1 + (i % 3)] as plan,
  10 + (i * 37) % 490 as employees,
  timestamptz '2023-01-01 00:00:00+00' + to_days(i * 3) as created_at
from range(1, 51) t(i);

create or replace table users as
select
  i as id,
  (['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Linus'])[1 + (i % 10)] as first_name,
  (['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Allen', 'Torvalds'])[1 + ((i * 7) % 10)] as last_name,
  'user' || i || '@example.com' as email,
  (['free', 'pro', 'team'])[1 + (i % 3)] as plan,
  (['Berlin', 'Lisbon', 'Austin', 'Osaka', 'Nairobi', 'São Paulo'])[1 + (i % 6)] as city,
  round(((i * 7919) % 100000) / 100.0, 2)::decimal(10, 2) as lifetime_value,
  i % 4 <> 0 as is_active,
  1 + (i % 50) as account_id,
  timestamptz '2024-01-01 00:00:00+00' + to_minutes(i * 97) as created_at
from range(1, 501) t(i);

create or replace table events as
select
  'evt_' || i as event_id,
  1 + (i % 500) as user_id,
  (['Order Completed', 'Product Viewed', 'Signed Up'])[1 + (i % 3)] as event_name,
  round(5 + ((i * 131) % 20000) / 100.0, 2)::decimal(10, 2) as revenue,
  'sku_' || (i % 40) as sku,
  timestamptz '2024-06-01 00:00:00+00' + to_seconds(i * 613) as occurred_at
from range(1, 2001) t(i);
`;

/** Creates (or replaces) the demo tables in the DuckDB file at `path`. */
export async function createDemoWarehouse(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await connection.run(DEMO_SQL);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
