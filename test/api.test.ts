// The HTTP API of `sluice serve` (SPEC §6) over a real workspace: a DuckDB warehouse file, SQLite
// state and the receiver on loopback. Routes are called in process with `app.request()`, the event
// stream over a real server; every response the file sees is checked against the OpenAPI document.
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../src/api/create-api.js';
import { ServeMetrics } from '../src/api/serve-metrics.js';
import {
  type AlertListing,
  type ExchangeDocument,
  type KeyHistory,
  type Listing,
  openWorkspace,
  type RecordDocument,
  type RunDocument,
  type Sluice,
  type SyncOverview,
  VERSION,
  type Worker,
} from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { ContractChecker, type OpenApiDocument, type RecordedResponse } from './helpers/openapi-contract.js';
import { duckdb, tempWorkspace, writeYaml } from './helpers/workspace.js';

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let sluice: Sluice;
let worker: Worker;
let app: ReturnType<typeof createApi>;
const seen: RecordedResponse[] = [];
const tokens = { viewer: '', operator: '', admin: '' };
const internalErrors: unknown[] = [];

/** The parts of the OpenAPI document these tests read. */
interface OperationJson {
  security?: unknown;
  parameters?: { name: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
interface DocumentJson {
  openapi: string;
  paths: Record<string, Record<string, OperationJson>>;
  components: { securitySchemes: Record<string, unknown> };
}

const WRITE_KEY = 'api-test-write-key-7Qz';
/** A notify target's URL: its path is a credential (as a Slack webhook's is) and is never shown. */
const OPS_URL = 'http://127.0.0.1:9/hooks/tok_api_hook_Secret42';

function workspaceYaml(endpoint: string): string {
  return `sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }
destinations:
  segment: { type: segment, write_key: ${WRITE_KEY}, endpoint: "${endpoint}" }
  # At most 5 messages a request and 20 a second: a run of many requests, to cancel part way.
  slow: { type: segment, write_key: ${WRITE_KEY}, endpoint: "${endpoint}", rate_limit: 20/s }
models:
  users: { source: warehouse, sql: "select * from users" }
  orders: { source: warehouse, sql: "select * from orders" }
  many_users: { source: warehouse, sql: "select i as user_id, 'u' || i || '@example.com' as email from range(200) t(i)" }
# Nothing delivers in this test (no serve): a raised alert's notification stays pending.
notify:
  ops: { type: webhook, url: "${OPS_URL}" }
alerts:
  - { when: zero_rows, notify: [ops] }
syncs:
  users:
    model: users
    destination: segment
    object: user
    key: { column: user_id, field: userId }
    mappings:
      traits.email: email
      traits.plan: { column: plan }
      traits.greeting: { template: "hi {{ email }}" }
      context.source: { constant: warehouse }
    nulls: skip
    retry: { max_attempts: 5 }
    schedule: { every: 15m }
  orders:
    model: orders
    destination: segment
    object: event
    key: { column: order_id }
    mappings:
      event: { constant: Order Completed }
      userId: user_id
  users-slow:
    model: many_users
    destination: slow
    object: user
    key: { column: user_id }
    mappings:
      traits.email: email
`;
}

/** Calls the app as a client would, and keeps the response for the contract check. */
async function call(
  path: string,
  init: {
    method?: string;
    token?: string;
    authorization?: string;
    /** Bytes are sent with no content type at all (a string gets text/plain from fetch). */
    body?: string | Uint8Array;
    contentType?: string;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  const response = await app.request(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  // The document does not describe itself.
  if (path !== '/api/v1/openapi.json') await record(init.method ?? 'GET', path, response.clone());
  return response;
}

async function record(method: string, path: string, response: Response): Promise<void> {
  seen.push({
    method,
    path: new URL(path, 'http://x').pathname,
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  });
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempWorkspace('sluice-api-'));
  receiver = await startReceiver({ port: 0 });
  await duckdb(
    join(dir, 'warehouse.duckdb'),
    `create table users as
       select cast(i as varchar) as user_id, 'user' || i || '@example.com' as email, case when i % 2 = 0 then 'pro' else 'free' end as plan
       from range(1, 6) t(i);
     insert into users values ('6', null, 'free'), ('a/b ü', 'slash@example.com', 'pro');
     create table orders as select i as order_id, i as user_id from range(1, 4) t(i)`,
  );
  await writeYaml(dir, workspaceYaml(receiver.url));
  sluice = await openWorkspace(dir);
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    tokens[role] = (await sluice.createToken(`test-${role}`, role)).token;
  }
  // What `sluice serve` does on SQLite state: the runs the API queues are started in this process.
  worker = await sluice.startWorker();
  app = createApi({ sluice, sseIntervalMs: 100, onInternalError: (error) => internalErrors.push(error) });
});

afterAll(async () => {
  await worker?.stop();
  await sluice?.close();
  await receiver?.close();
  await cleanup?.();
});

describe('health and the OpenAPI document (public)', () => {
  it('answers health without a token', async () => {
    const response = await call('/api/v1/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: VERSION });
  });

  it('serves an OpenAPI 3.1 document describing every route, with bearer security', async () => {
    const response = await call('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as DocumentJson;
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /api/v1/health',
        'GET /api/v1/syncs',
        'GET /api/v1/syncs/{name}',
        'POST /api/v1/syncs/{name}/runs',
        'GET /api/v1/syncs/{name}/keys/{key}',
        'GET /api/v1/runs',
        'GET /api/v1/runs/{id}',
        'GET /api/v1/runs/{id}/events',
        'POST /api/v1/runs/{id}/cancel',
        'GET /api/v1/runs/{id}/records',
        'GET /api/v1/runs/{id}/exchanges',
        'GET /api/v1/tokens',
        'POST /api/v1/tokens',
        'DELETE /api/v1/tokens/{name}',
        'GET /api/v1/me',
        'GET /api/v1/alerts',
      ].sort(),
    );
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const statuses = Object.keys(operation.responses);
        if (path === '/api/v1/health') {
          expect(operation.security).toBeUndefined();
          continue;
        }
        expect(operation.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '401', '403', '500']));
        for (const status of statuses.filter((s) => s >= '400')) {
          expect(operation.responses[status]?.content?.['application/json']?.schema).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
    }
    const events = document.paths['/api/v1/runs/{id}/events']?.get?.responses['200']?.content ?? {};
    expect(Object.keys(events)).toEqual(['text/event-stream']);
    const runRequest = document.paths['/api/v1/syncs/{name}/runs']?.post?.requestBody;
    expect(runRequest?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/RunRequest',
    });
    const recordParams = (document.paths['/api/v1/runs/{id}/records']?.get?.parameters ?? []).map(
      (p) => p.name,
    );
    expect(recordParams.sort()).toEqual(['cursor', 'id', 'key', 'limit', 'reason', 'status']);
    // OpenAPI 3.1, not 3.0: null is a type, never `nullable`.
    expect(JSON.stringify(document)).not.toContain('"nullable"');
  });
});

describe('auth', () => {
  const guarded = [
    ['GET', '/api/v1/syncs'],
    ['GET', '/api/v1/syncs/users'],
    ['POST', '/api/v1/syncs/users/runs'],
    ['GET', '/api/v1/syncs/users/keys/1'],
    ['GET', '/api/v1/runs'],
    ['GET', '/api/v1/runs/r1'],
    ['GET', '/api/v1/runs/r1/events'],
    ['POST', '/api/v1/runs/r1/cancel'],
    ['GET', '/api/v1/runs/r1/records'],
    ['GET', '/api/v1/runs/r1/exchanges'],
    ['GET', '/api/v1/tokens'],
    ['POST', '/api/v1/tokens'],
    ['GET', '/api/v1/me'],
    ['GET', '/api/v1/alerts'],
    ['DELETE', '/api/v1/tokens/test-viewer'],
  ] as const;

  it('answers 401 with WWW-Authenticate for a missing, bad or other-scheme Authorization on every guarded route', async () => {
    for (const [method, path] of guarded) {
      for (const authorization of [
        undefined,
        'Bearer nope',
        'Bearer',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Token ${tokens.admin}`,
        `${tokens.admin}`,
      ]) {
        const response = await call(path, {
          method,
          ...(authorization === undefined ? {} : { authorization }),
        });
        expect(response.status, `${method} ${path} with ${authorization?.split(' ')[0]}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const error = await errorOf(response);
        expect(error.code).toBe('unauthorized');
        expect(error.message).not.toContain(tokens.admin);
      }
    }
  });

  it('accepts the scheme in any case', async () => {
    expect((await call('/api/v1/syncs', { authorization: `bearer ${tokens.viewer}` })).status).toBe(200);
  });

  it('answers 403 when the role is too weak: viewer reads, operator runs and cancels, admin manages tokens', async () => {
    const weak = [
      ['viewer', 'POST', '/api/v1/syncs/users/runs'],
      ['viewer', 'POST', '/api/v1/runs/r1/cancel'],
      ['viewer', 'GET', '/api/v1/tokens'],
      ['operator', 'GET', '/api/v1/tokens'],
      ['operator', 'POST', '/api/v1/tokens'],
      ['operator', 'DELETE', '/api/v1/tokens/test-viewer'],
    ] as const;
    for (const [role, method, path] of weak) {
      const response = await call(path, { method, token: tokens[role] });
      expect(response.status, `${role} ${method} ${path}`).toBe(403);
      expect((await errorOf(response)).code).toBe('forbidden');
    }
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      expect((await call('/api/v1/runs', { token: tokens[role] })).status).toBe(200);
    }
  });

  it('checks the token before the request: a viewer posting garbage gets 403, not 400', async () => {
    const response = await call('/api/v1/syncs/users/runs', {
      method: 'POST',
      token: tokens.viewer,
      body: '{not json',
      contentType: 'application/json',
    });
    expect(response.status).toBe(403);
  });

  it('stops accepting a revoked token at once', async () => {
    const created = await call('/api/v1/tokens', {
      method: 'POST',
      token: tokens.admin,
      body: JSON.stringify({ name: 'short-lived', role: 'operator' }),
      contentType: 'application/json',
    });
    expect(created.status).toBe(201);
    const { token, role, name } = (await created.json()) as { token: string; role: string; name: string };
    expect({ role, name }).toEqual({ role: 'operator', name: 'short-lived' });
    expect((await call('/api/v1/runs', { token })).status).toBe(200);
    expect((await call('/api/v1/tokens/short-lived', { method: 'DELETE', token: tokens.admin })).status).toBe(
      204,
    );
    expect((await call('/api/v1/runs', { token })).status).toBe(401);
  });
});

describe('syncs', () => {
  it('lists every sync with its schedule and last run', async () => {
    const response = await call('/api/v1/syncs', { token: tokens.viewer });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Listing<SyncOverview>;
    expect(body.next_cursor).toBeNull();
    expect(body.items.map((s) => [s.name, s.object, s.schedule])).toEqual([
      ['users', 'user', 'every 15m'],
      ['orders', 'event', null],
      ['users-slow', 'user', null],
    ]);
    expect(body.items[0]).toHaveProperty('next_run_at');
  });

  it('shows one sync with its mappings and settings, never the write key', async () => {
    const response = await call('/api/v1/syncs/users', { token: tokens.viewer });
    expect(response.status).toBe(200);
    const text = await response.clone().text();
    expect(text).not.toContain(WRITE_KEY);
    expect(text).not.toContain(WRITE_KEY.slice(-4));
    const sync = (await response.json()) as Record<string, unknown>;
    expect(sync).toMatchObject({
      name: 'users',
      model: 'users',
      destination: 'segment',
      object: 'user',
      key: { column: 'user_id', field: 'userId' },
      mappings: [
        { path: 'traits.email', source: { column: 'email' }, nulls: null },
        { path: 'traits.plan', source: { column: 'plan' }, nulls: null },
        { path: 'traits.greeting', source: { template: 'hi {{ email }}', json: false }, nulls: null },
        { path: 'context.source', source: { constant: 'warehouse' }, nulls: null },
      ],
      bundle: null,
      nulls: 'skip',
      backfill: true,
      retry: { max_attempts: 5, max_age_ms: null },
      cursor: null,
      writeback: null,
      // The top-level rule watches every sync; its target by name, never its URL.
      alerts: [{ rule: 'zero_rows', kind: 'zero_rows', notify: ['ops'] }],
    });
    expect(text).not.toContain('tok_api_hook_Secret42');
  });

  it('answers 404 for an unknown sync', async () => {
    const response = await call('/api/v1/syncs/nope', { token: tokens.viewer });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe('not_found');
  });
});

describe('runs', () => {
  let runId: string;

  beforeAll(async () => {
    runId = (await sluice.run('users')).run_id;
  });

  it('lists runs newest first with a cursor, and filters by sync and status', async () => {
    await sluice.run('orders');
    const first = await call('/api/v1/runs?limit=1', { token: tokens.viewer });
    expect(first.status).toBe(200);
    const page = (await first.json()) as Listing<RunDocument>;
    expect(page.items.map((r) => r.sync)).toEqual(['orders']);
    expect(page.next_cursor).not.toBeNull();
    const second = await call(`/api/v1/runs?limit=1&cursor=${encodeURIComponent(page.next_cursor ?? '')}`, {
      token: tokens.viewer,
    });
    const next = (await second.json()) as Listing<RunDocument>;
    expect(next.items.map((r) => r.run_id)).toEqual([runId]);

    const bySync = (await (
      await call('/api/v1/runs?sync=users', { token: tokens.viewer })
    ).json()) as Listing<RunDocument>;
    expect(bySync.items.map((r) => r.sync)).toEqual(['users']);
    const failed = (await (
      await call('/api/v1/runs?status=failed', { token: tokens.viewer })
    ).json()) as Listing<RunDocument>;
    expect(failed.items).toEqual([]);
  });

  it('answers 400 for a bad cursor, limit or status, and 404 for an unknown sync filter', async () => {
    for (const query of ['cursor=garbage', 'limit=0', 'limit=abc', 'limit=100001', 'status=nope']) {
      const response = await call(`/api/v1/runs?${query}`, { token: tokens.viewer });
      expect(response.status, query).toBe(400);
      expect((await errorOf(response)).code).toMatch(/^(invalid_request|usage)$/);
    }
    expect((await call('/api/v1/runs?sync=nope', { token: tokens.viewer })).status).toBe(404);
  });

  it('shows one run as the CLI prints it, and 404 for an unknown one', async () => {
    const response = await call(`/api/v1/runs/${runId}`, { token: tokens.viewer });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(await sluice.getRun(runId));
    expect((await call('/api/v1/runs/no-such-run', { token: tokens.viewer })).status).toBe(404);
  });

  it('lists records, filtered by status, reason and key, a page at a time', async () => {
    const all = (await (
      await call(`/api/v1/runs/${runId}/records`, { token: tokens.viewer })
    ).json()) as Listing<RecordDocument>;
    expect(all.items).toHaveLength(7);
    const one = await call(`/api/v1/runs/${runId}/records?key=${encodeURIComponent('a/b ü')}`, {
      token: tokens.viewer,
    });
    expect(((await one.json()) as Listing<RecordDocument>).items.map((r) => r.key)).toEqual(['a/b ü']);
    const succeeded = (await (
      await call(`/api/v1/runs/${runId}/records?status=succeeded&limit=2`, { token: tokens.viewer })
    ).json()) as Listing<RecordDocument>;
    expect(succeeded.items).toHaveLength(2);
    expect(succeeded.next_cursor).not.toBeNull();
    const byReason = async (reason: string) =>
      (
        (await (
          await call(`/api/v1/runs/${runId}/records?reason=${reason}`, { token: tokens.viewer })
        ).json()) as Listing<RecordDocument>
      ).items;
    expect((await byReason('new')).length).toBe(all.items.filter((r) => r.reason === 'new').length);
    expect((await byReason('new')).every((r) => r.reason === 'new')).toBe(true);
    expect(await byReason('no_such_reason')).toEqual([]);
    expect((await call(`/api/v1/runs/${runId}/records?status=nope`, { token: tokens.viewer })).status).toBe(
      400,
    );
    expect((await call(`/api/v1/runs/${runId}/records?cursor=%%%`, { token: tokens.viewer })).status).toBe(
      400,
    );
    expect((await call('/api/v1/runs/no-such-run/records', { token: tokens.viewer })).status).toBe(404);
  });

  it("shows the run's HTTP exchanges with the destination, secrets redacted, a page at a time", async () => {
    const response = await call(`/api/v1/runs/${runId}/exchanges`, { token: tokens.viewer });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(WRITE_KEY);
    expect(text).not.toContain(Buffer.from(`${WRITE_KEY}:`).toString('base64'));
    const all = JSON.parse(text) as Listing<ExchangeDocument>;
    expect(all).toEqual(await sluice.exchanges(runId));
    expect(all.items.length).toBeGreaterThan(0);
    expect(all.items[0]).toMatchObject({ method: 'POST', status: 200, attempt: 1 });
    expect(all.items[0]!.request_headers.authorization).toBe('[secret]');
    const records = await sluice.records(runId, { status: 'succeeded' });
    expect(all.items.flatMap((exchange) => exchange.message_ids)).toEqual(
      expect.arrayContaining(records.items.map((record) => record.message_id)),
    );
    const first = (await (
      await call(`/api/v1/runs/${runId}/exchanges?limit=1`, { token: tokens.viewer })
    ).json()) as Listing<ExchangeDocument>;
    expect(first.items).toEqual(all.items.slice(0, 1));
    expect((await call(`/api/v1/runs/${runId}/exchanges?cursor=%%%`, { token: tokens.viewer })).status).toBe(
      400,
    );
    expect((await call('/api/v1/runs/no-such-run/exchanges', { token: tokens.viewer })).status).toBe(404);
  });

  it("shows a key's state and history, the key URL-encoded", async () => {
    const response = await call(`/api/v1/syncs/users/keys/${encodeURIComponent('a/b ü')}`, {
      token: tokens.viewer,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as KeyHistory;
    expect(body).toMatchObject({ sync: 'users', key: 'a/b ü', state: { removed: false } });
    expect(body.history.items.map((r) => [r.run_id, r.status])).toEqual([[runId, 'succeeded']]);
    const unknown = (await (
      await call('/api/v1/syncs/users/keys/999', { token: tokens.viewer })
    ).json()) as KeyHistory;
    expect(unknown).toMatchObject({ state: null, history: { items: [], next_cursor: null } });
    expect((await call('/api/v1/syncs/nope/keys/1', { token: tokens.viewer })).status).toBe(404);
    expect((await call('/api/v1/syncs/users/keys/1?cursor=bad', { token: tokens.viewer })).status).toBe(400);
  });
});

describe('requesting and cancelling runs', () => {
  it('queues a run with no body at all, and answers 202 with its id', async () => {
    const response = await call('/api/v1/syncs/orders/runs', { method: 'POST', token: tokens.operator });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { run_id: string; status: string };
    expect(body.status).toBe('queued');
    const run = await waitForEnd(body.run_id);
    expect(run).toMatchObject({ sync: 'orders', status: 'completed', dry_run: false });
  });

  it('queues a dry run that is kept in the history as one', async () => {
    const response = await call('/api/v1/syncs/users/runs', {
      method: 'POST',
      token: tokens.operator,
      body: JSON.stringify({ dry_run: true }),
      contentType: 'application/json; charset=utf-8',
    });
    expect(response.status).toBe(202);
    const run = await waitForEnd(((await response.json()) as { run_id: string }).run_id);
    expect(run).toMatchObject({ sync: 'users', status: 'completed', dry_run: true });
  });

  it('refuses a full resync of an event sync with 422', async () => {
    const response = await call('/api/v1/syncs/orders/runs', {
      method: 'POST',
      token: tokens.operator,
      body: JSON.stringify({ full_resync: true }),
      contentType: 'application/json',
    });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).code).toBe('usage');
  });

  it('answers 400 for a malformed body or content type, and 404 for an unknown sync', async () => {
    const bad = [
      { body: '{not json', contentType: 'application/json' },
      { body: JSON.stringify({ dry_run: 'yes' }), contentType: 'application/json' },
      { body: JSON.stringify({ dryrun: true }), contentType: 'application/json' },
      { body: '[]', contentType: 'application/json' },
      { body: 'dry_run=true', contentType: 'application/x-www-form-urlencoded' },
      { body: JSON.stringify({ dry_run: true }), contentType: 'text/plain' },
      { body: new TextEncoder().encode(JSON.stringify({ dry_run: true })) },
    ];
    for (const init of bad) {
      const response = await call('/api/v1/syncs/users/runs', {
        method: 'POST',
        token: tokens.operator,
        ...init,
      });
      expect(response.status, JSON.stringify(init)).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await errorOf(response)).code).toBe('invalid_request');
    }
    const unknown = await call('/api/v1/syncs/nope/runs', { method: 'POST', token: tokens.operator });
    expect(unknown.status).toBe(404);
  });

  it('answers 409 for a run of a sync that is already running, and cancels a run', async () => {
    // 200 rows at 20 a second: the run takes about 10 s, and reads a cancel with its counts (every ~2 s).
    {
      const first = await call('/api/v1/syncs/users-slow/runs', {
        method: 'POST',
        token: tokens.operator,
        body: JSON.stringify({ full_resync: true }),
        contentType: 'application/json',
      });
      expect(first.status).toBe(202);
      const { run_id: runId } = (await first.json()) as { run_id: string };
      await waitForStatus(runId, 'running');
      const second = await call('/api/v1/syncs/users-slow/runs', { method: 'POST', token: tokens.operator });
      expect(second.status).toBe(409);
      expect((await errorOf(second)).code).toBe('sync_locked');

      const cancel = await call(`/api/v1/runs/${runId}/cancel`, { method: 'POST', token: tokens.operator });
      expect(cancel.status).toBe(202);
      expect(((await cancel.json()) as { run_id: string }).run_id).toBe(runId);
      const run = await waitForEnd(runId);
      expect(run).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
      const { counts } = run as RunDocument;
      expect(counts.succeeded).toBeLessThan(counts.planned);

      const again = await call(`/api/v1/runs/${runId}/cancel`, { method: 'POST', token: tokens.operator });
      expect(again.status).toBe(409);
      expect((await errorOf(again)).code).toBe('run_finished');
      expect(
        (await call('/api/v1/runs/nope/cancel', { method: 'POST', token: tokens.operator })).status,
      ).toBe(404);
    }
  });
});

describe('a queued run', () => {
  it('shows as queued, streams progress while it waits, and a cancel ends it at once', async () => {
    // Another process on the same state that runs no worker: what it queues waits.
    const other = await openWorkspace(dir);
    try {
      const api = createApi({ sluice: other, sseIntervalMs: 50 });
      const asOperator = { authorization: `Bearer ${tokens.operator}` };
      const queued = await api.request('/api/v1/syncs/users/runs', { method: 'POST', headers: asOperator });
      await record('POST', '/api/v1/syncs/users/runs', queued.clone());
      expect(queued.status).toBe(202);
      const { run_id: runId } = (await queued.json()) as { run_id: string };
      const shown = await api.request(`/api/v1/runs/${runId}`, { headers: asOperator });
      await record('GET', `/api/v1/runs/${runId}`, shown.clone());
      expect(await shown.json()).toMatchObject({
        run_id: runId,
        status: 'queued',
        requested_at: expect.any(String),
      });

      const streaming = api.request(`/api/v1/runs/${runId}/events`, { headers: asOperator });
      await sleep(300);
      const cancel = await api.request(`/api/v1/runs/${runId}/cancel`, {
        method: 'POST',
        headers: asOperator,
      });
      await record('POST', `/api/v1/runs/${runId}/cancel`, cancel.clone());
      expect(cancel.status).toBe(202);
      expect(await cancel.json()).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
      const events = await streaming;
      const text = await events.text();
      await record('GET', `/api/v1/runs/${runId}/events`, new Response(text, { headers: events.headers }));
      const parsed = parseSse(text);
      expect(parsed.length).toBeGreaterThan(2);
      expect(parsed.at(-1)?.event).toBe('summary');
      expect(JSON.parse(parsed.at(-1)?.data ?? '{}')).toMatchObject({ status: 'failed' });
      expect(parsed.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('tokens', () => {
  it('tells each token its own name and role (GET /me), so a client shows only what it may do', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const response = await call('/api/v1/me', { token: tokens[role] });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ name: `test-${role}`, role });
    }
  });

  it('lists tokens without their secrets, creates one shown once, and revokes it', async () => {
    const list = await call('/api/v1/tokens', { token: tokens.admin });
    expect(list.status).toBe(200);
    const text = await list.clone().text();
    for (const token of Object.values(tokens)) expect(text).not.toContain(token);
    const body = (await list.json()) as { items: { name: string; role: string }[]; next_cursor: null };
    expect(body.items.map((t) => [t.name, t.role])).toEqual(
      expect.arrayContaining([
        ['test-viewer', 'viewer'],
        ['test-operator', 'operator'],
        ['test-admin', 'admin'],
      ]),
    );
    expect(body.next_cursor).toBeNull();

    const created = await call('/api/v1/tokens', {
      method: 'POST',
      token: tokens.admin,
      body: JSON.stringify({ name: 'ci' }),
      contentType: 'application/json',
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'ci', role: 'viewer' });
    const duplicate = await call('/api/v1/tokens', {
      method: 'POST',
      token: tokens.admin,
      body: JSON.stringify({ name: 'ci' }),
      contentType: 'application/json',
    });
    expect(duplicate.status).toBe(409);
    expect((await errorOf(duplicate)).code).toBe('conflict');
    expect((await call('/api/v1/tokens/ci', { method: 'DELETE', token: tokens.admin })).status).toBe(204);
    expect((await call('/api/v1/tokens/ci', { method: 'DELETE', token: tokens.admin })).status).toBe(404);
  });

  it('answers 400 for a malformed token request', async () => {
    for (const init of [
      { body: JSON.stringify({ role: 'admin' }), contentType: 'application/json' },
      { body: JSON.stringify({ name: 'x', role: 'root' }), contentType: 'application/json' },
      { body: JSON.stringify({ name: 'bad name!' }), contentType: 'application/json' },
      { body: '', contentType: 'application/json' },
      { body: JSON.stringify({ name: 'x' }) },
    ]) {
      const response = await call('/api/v1/tokens', { method: 'POST', token: tokens.admin, ...init });
      expect(response.status, JSON.stringify(init)).toBe(400);
    }
  });
});

describe('errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const response = await app.request('/api/v1/no-such-route', {
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe('not_found');
    expect((await app.request('/api/v1/runs/x/nothing-here')).status).toBe(404);
  });

  it('answers an unexpected failure with a 500 that shows nothing of it, and tells onInternalError', async () => {
    const failures: unknown[] = [];
    // The same Sluice, its getRun failing the way a bug would.
    const broken = new Proxy(sluice, {
      get(target, property) {
        if (property === 'getRun') {
          return async () => {
            throw new TypeError('cannot read properties of undefined (/srv/sluice/secret-path)');
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const api = createApi({ sluice: broken, onInternalError: (error) => failures.push(error) });
    const response = await api.request('/api/v1/runs/anything', {
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    await record('GET', '/api/v1/runs/anything', response.clone());
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toContain('secret-path');
  });

  it('answers 503 when the state store is unreachable, and health says unavailable', async () => {
    const unreachableDir = join(dir, 'unreachable');
    await mkdir(unreachableDir);
    await writeYaml(
      unreachableDir,
      `state: postgres://postgres@127.0.0.1:1/nothing\n${workspaceYaml(receiver.url).replace('path: warehouse.duckdb', `path: ${join(dir, 'warehouse.duckdb')}`)}`,
    );
    const unreachable = await openWorkspace(unreachableDir);
    try {
      const api = createApi({ sluice: unreachable });
      const health = await api.request('/api/v1/health');
      await record('GET', '/api/v1/health', health.clone());
      expect(health.status).toBe(503);
      const body = await health.json();
      expect(body).toMatchObject({ status: 'unavailable', version: VERSION, error: { code: 'state_error' } });
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    } finally {
      await unreachable.close();
    }
  });
});

describe('metrics', () => {
  it('needs a viewer token unless public, and serves the Prometheus text format', async () => {
    const metrics = new ServeMetrics({ queueDepth: async () => 3 });
    for (const metricsPublic of [false, true]) {
      const api = createApi({ sluice, metrics, metricsPublic });
      const checker = new ContractChecker(
        (await (await api.request('/api/v1/openapi.json')).json()) as OpenApiDocument,
      );
      const responses: Response[] = [];
      const anonymous = await api.request('/metrics');
      responses.push(anonymous.clone());
      expect(anonymous.status).toBe(metricsPublic ? 200 : 401);
      const scraped = await api.request('/metrics', {
        headers: { authorization: `Bearer ${tokens.viewer}` },
      });
      responses.push(scraped.clone());
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await scraped.text();
      expect(text).toContain('sluice_queue_depth 3');
      expect(text).toContain('sluice_process_cpu_user_seconds_total');
      for (const response of responses) {
        const recorded = {
          method: 'GET',
          path: '/metrics',
          status: response.status,
          contentType: response.headers.get('content-type'),
          body: await response.text(),
        };
        expect(checker.check(recorded)).toEqual([]);
      }
    }
    // Without a ServeMetrics there is no /metrics.
    expect(
      (await app.request('/metrics', { headers: { authorization: `Bearer ${tokens.viewer}` } })).status,
    ).toBe(404);
  });
});

describe('run events (a real server)', () => {
  it('streams progress while a run goes, then its summary, then ends', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    receiver.setFaults({ latencyMs: 2500 });
    try {
      const running = sluice.run('users', { fullResync: true });
      const runId = await firstRunningId('users');
      const response = await fetch(`${base}/api/v1/runs/${runId}/events`, {
        headers: { authorization: `Bearer ${tokens.viewer}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await response.text();
      await record('GET', `/api/v1/runs/${runId}/events`, new Response(text, { headers: response.headers }));
      const events = parseSse(text);
      const result = await running;
      expect(events.length).toBeGreaterThan(2);
      expect(events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
      expect(Object.keys(JSON.parse(events[0]?.data ?? '{}'))).toContain('extracted');
      const summary = events.at(-1);
      expect(summary?.event).toBe('summary');
      expect(JSON.parse(summary?.data ?? '{}')).toMatchObject({ run_id: result.run_id, status: 'completed' });

      // A finished run: the summary alone.
      const finished = parseSse(
        await (
          await fetch(`${base}/api/v1/runs/${runId}/events`, {
            headers: { authorization: `Bearer ${tokens.viewer}` },
          })
        ).text(),
      );
      expect(finished.map((e) => e.event)).toEqual(['summary']);
      const unknown = await fetch(`${base}/api/v1/runs/nope/events`, {
        headers: { authorization: `Bearer ${tokens.viewer}` },
      });
      await record('GET', '/api/v1/runs/nope/events', unknown);
      expect(unknown.status).toBe(404);
    } finally {
      receiver.setFaults({});
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stops polling when the client goes away', async () => {
    // The same Sluice, its getRun counted: once the client is gone, the stream must stop asking.
    let polls = 0;
    const counted = new Proxy(sluice, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'getRun') {
          return (id: string) => {
            polls++;
            return target.getRun(id);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const server = serve({
      fetch: createApi({ sluice: counted, sseIntervalMs: 50 }).fetch,
      port: 0,
      hostname: '127.0.0.1',
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    receiver.setFaults({ latencyMs: 3000 });
    try {
      const running = sluice.run('users', { fullResync: true });
      const runId = await firstRunningId('users');
      const client = new AbortController();
      const response = await fetch(`${base}/api/v1/runs/${runId}/events`, {
        headers: { authorization: `Bearer ${tokens.viewer}` },
        signal: client.signal,
      });
      const reader = response.body?.getReader();
      await reader?.read();
      await sleep(300);
      expect(polls).toBeGreaterThan(2);
      client.abort();
      await sleep(200);
      const afterAbort = polls;
      await sleep(500);
      expect(polls).toBe(afterAbort);
      expect((await sluice.getRun(runId))?.status).toBe('running');
      await running;
    } finally {
      receiver.setFaults({});
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('alerts', () => {
  it('lists alerts raised by runs, open first, and the notify targets without their URLs', async () => {
    const empty = await call('/api/v1/alerts', { token: tokens.viewer });
    expect(empty.status).toBe(200);
    const before = (await empty.json()) as AlertListing;
    expect(before.items.filter((alert) => alert.sync === 'orders')).toEqual([]);
    expect(before.targets).toMatchObject([{ target: 'ops', type: 'webhook', host: '127.0.0.1:9' }]);

    // The orders model now returns no rows: a completed run raises zero_rows, once.
    await duckdb(join(dir, 'warehouse.duckdb'), 'delete from orders');
    expect((await sluice.run('orders')).counts.extracted).toBe(0);
    await sluice.run('orders');
    const response = await call('/api/v1/alerts?sync=orders', { token: tokens.viewer });
    expect(response.status).toBe(200);
    const text = await response.clone().text();
    expect(text).not.toContain('tok_api_hook_Secret42');
    const listing = (await response.json()) as AlertListing;
    expect(listing.items).toHaveLength(1);
    expect(listing.items[0]).toMatchObject({
      sync: 'orders',
      rule: 'zero_rows',
      kind: 'zero_rows',
      state: 'raised',
      resolved_at: null,
      figures: { extracted: 0 },
    });
    expect(listing.next_cursor).toBeNull();
    // Its notification waits for a deliverer: this process runs none.
    expect(listing.targets[0]).toMatchObject({ target: 'ops', pending: 1, delivered: 0, last_failure: null });
    expect(listing).toEqual(await sluice.alerts({ sync: 'orders' }));

    const resolved = (await (
      await call('/api/v1/alerts?state=resolved&sync=orders', { token: tokens.viewer })
    ).json()) as AlertListing;
    expect(resolved.items).toEqual([]);
    const firstPage = (await (
      await call('/api/v1/alerts?limit=1', { token: tokens.viewer })
    ).json()) as AlertListing;
    expect(firstPage.items).toHaveLength(1);
    expect((await call('/api/v1/alerts?state=open', { token: tokens.viewer })).status).toBe(400);
    expect((await call('/api/v1/alerts?sync=nope', { token: tokens.viewer })).status).toBe(404);
    expect((await call('/api/v1/alerts?cursor=%%%', { token: tokens.viewer })).status).toBe(400);
  });
});

describe('the contract', () => {
  it('every response seen conforms to the OpenAPI document', async () => {
    expect(internalErrors).toEqual([]);
    const document = (await (await app.request('/api/v1/openapi.json')).json()) as OpenApiDocument;
    const checker = new ContractChecker(document);
    const problems = seen.flatMap((response) => checker.check(response));
    expect(problems).toEqual([]);
    // Every documented route was exercised, most with several statuses.
    const exercised = new Set(seen.map((r) => `${r.method} ${checker.routeOf(r.path)}`));
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods))
        expect(exercised).toContain(`${method.toUpperCase()} ${path}`);
    }
    expect(seen.length).toBeGreaterThan(100);
  });

  it('the checker fails responses that break the document', async () => {
    const document = (await (await app.request('/api/v1/openapi.json')).json()) as OpenApiDocument;
    const checker = new ContractChecker(document);
    const run = JSON.stringify(await sluice.getRun((await sluice.runs({ limit: 1 })).items[0]?.run_id ?? ''));
    const ok = {
      method: 'GET',
      path: '/api/v1/runs/x',
      status: 200,
      contentType: 'application/json',
      body: run,
    };
    expect(checker.check(ok)).toEqual([]);
    const broken = [
      { ...ok, body: JSON.stringify({ ...JSON.parse(run), status: 'exploded' }) },
      { ...ok, body: JSON.stringify({ ...JSON.parse(run), extra: 1 }) },
      { ...ok, body: JSON.stringify({ ...JSON.parse(run), counts: { extracted: 'many' } }) },
      { ...ok, status: 418 },
      { ...ok, contentType: 'text/html' },
      { ...ok, path: '/api/v1/nowhere' },
      { ...ok, status: 404, body: JSON.stringify({ error: { code: 'not_found' } }) },
    ];
    for (const response of broken) expect(checker.check(response), response.body).not.toEqual([]);
  });
});

async function waitForStatus(runId: string, status: RunDocument['status']): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await sluice.getRun(runId))?.status === status) return;
    await sleep(50);
  }
  throw new Error(`run ${runId} never became ${status}`);
}

async function waitForEnd(runId: string): Promise<unknown> {
  for (let i = 0; i < 300; i++) {
    const run = await sluice.getRun(runId);
    if (run !== null && run.status !== 'queued' && run.status !== 'running') return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not end`);
}

async function firstRunningId(sync: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const [run] = (await sluice.runs({ sync, status: 'running', limit: 1 })).items;
    if (run !== undefined) return run.run_id;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no run of ${sync} started`);
}

function parseSse(text: string): { event: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      return {
        event:
          lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message',
        data: lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n'),
      };
    });
}
