// `sluice serve` as users run it (SPEC §5, §6): a real process on a demo workspace and the receiver
// over loopback — the first start's admin token, a run asked for over HTTP, /metrics counting it,
// a host other machines reach refused without a token, and a graceful stop mid-run.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { sluice as cli } from './helpers/cli.js';
import { type ServeProcess, startServe, startSluice, until } from './helpers/serve-process.js';
import { WebhookCatcher } from './helpers/webhook-catcher.js';
import { tempWorkspace } from './helpers/workspace.js';

let receiver: Receiver;
const processes: ServeProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  receiver = await startReceiver({ port: 0 });
});

afterEach(async () => {
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await receiver.close();
});

/** A fresh demo workspace (sluice init) aimed at the receiver. */
async function demo(): Promise<string> {
  const { dir, cleanup } = await tempWorkspace('sluice-serve-');
  cleanups.push(cleanup);
  const init = await cli('init', dir, '--endpoint', receiver.url, '--force');
  expect(init.code).toBe(0);
  return dir;
}

async function call(
  url: string,
  token: string | null,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url, {
    ...init,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text
  }
  return { status: response.status, body, text };
}

describe('sluice serve on the embedded default', () => {
  it('prints an admin token once, runs what the API asks for and what the schedule fires, and /metrics counts it', async () => {
    const dir = await demo();
    const serve = await startServe(['-w', dir, 'serve', '--port', '0']);
    processes.push(serve);
    const adminLine = /^admin token: (slk_\S+)$/m.exec(serve.stdout());
    expect(adminLine).not.toBeNull();
    const admin = adminLine![1]!;
    const api = `${serve.url}/api/v1`;

    expect(await call(`${api}/health`, null)).toMatchObject({ status: 200, body: { status: 'ok' } });
    // users-to-segment (every 1m) has never run: its schedule fires at start.
    await until(
      () => serve.events.find((e) => e.event === 'schedule_fired' && e.sync === 'users-to-segment'),
      30_000,
      'the schedule fires',
    );
    const asked = await call(`${api}/syncs/events-to-segment/runs`, admin, { method: 'POST', body: '{}' });
    expect(asked).toMatchObject({ status: 202, body: { status: 'queued' } });
    const runId = (asked.body as { run_id: string }).run_id;
    const run = await until(
      async () => {
        const got = await call(`${api}/runs/${runId}`, admin);
        const status = (got.body as { status: string }).status;
        return status === 'completed' || status === 'failed' ? got.body : undefined;
      },
      30_000,
      'the run ends',
    );
    expect(run).toMatchObject({ status: 'completed', sync: 'events-to-segment' });

    // A viewer reads, and may not run.
    const viewer = await cli('-w', dir, 'token', 'create', 'dashboards', '--role', 'viewer', '--json');
    const viewerToken = viewer.json<{ token: string }>().token;
    expect(
      await call(`${api}/syncs/events-to-segment/runs`, viewerToken, { method: 'POST', body: '{}' }),
    ).toMatchObject({
      status: 403,
    });
    expect((await call(`${serve.url}/metrics`, null)).status).toBe(401);
    const metrics = await call(`${serve.url}/metrics`, viewerToken);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^sluice_runs_total\{sync="events-to-segment",status="completed"\} 1$/m);
    expect(metrics.text).toMatch(
      /^sluice_destination_requests_total\{sync="events-to-segment",status="200"\} \d+$/m,
    );
    expect(metrics.text).toMatch(/^sluice_schedule_lag_seconds_count\{sync="users-to-segment"\} 1$/m);

    // sync list shows when each schedule fires next.
    const list = await cli('-w', dir, 'sync', 'list', '--json');
    const events = list
      .json<{ name: string; next_run_at: string | null }[]>()
      .find((s) => s.name === 'events-to-segment');
    expect(Date.parse(events!.next_run_at!)).toBeGreaterThan(Date.now());

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.events.at(-1)).toMatchObject({ event: 'serve_stopped' });
    // Every line about a run names it; no token anywhere in the logs.
    for (const line of serve.events.filter((e) => e.event === 'run_finished')) {
      expect(line).toMatchObject({ run_id: expect.any(String), sync: expect.any(String) });
    }
    expect(serve.stderr()).not.toContain(admin);
    expect(serve.stderr()).not.toContain(viewerToken);
  }, 120_000);

  it('refuses to serve other machines while no token exists, and serves them once one does', async () => {
    const dir = await demo();
    const refused = startSluice(['-w', dir, 'serve', '--host', '0.0.0.0', '--port', '0']);
    processes.push(refused);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr()).toContain('sluice token create');
    expect(refused.stdout()).not.toContain('admin token');
    expect((await cli('-w', dir, 'token', 'create', 'ops', '--role', 'admin')).code).toBe(0);
    const serve = await startServe(['-w', dir, 'serve', '--host', '0.0.0.0', '--port', '0']);
    processes.push(serve);
    expect(serve.stdout()).not.toContain('admin token');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 60_000);

  it('on SIGTERM, lets a run finish its batches in flight, records it interrupted, and exits 0', async () => {
    const dir = await demo();
    receiver.setFaults({ latencyMs: 1500 });
    try {
      const serve = await startServe(['-w', dir, 'serve', '--port', '0', '--log-format', 'json']);
      processes.push(serve);
      const started = await until(
        () => serve.events.find((e) => e.event === 'run_started' && e.sync === 'users-to-segment'),
        30_000,
        'the scheduled run starts',
      );
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      const finished = serve.events.find((e) => e.event === 'run_finished' && e.sync === 'users-to-segment');
      expect(finished).toMatchObject({
        run_id: started.run_id,
        status: 'failed',
        error: { code: 'interrupted' },
      });
      const runs = await cli('-w', dir, 'runs', 'users-to-segment', '--json');
      expect(runs.stdout).toContain(String(started.run_id));
    } finally {
      receiver.setFaults({});
    }
  }, 60_000);
});

describe('notifications', () => {
  it('are delivered in the background, signed, and counted in /metrics', async () => {
    const secret = `whsec_${Buffer.from('serve-test-signing-key-0123456789ab').toString('base64')}`;
    const catcher = await WebhookCatcher.start({ secret });
    cleanups.push(() => catcher.close());
    const dir = await demo();
    await appendFile(
      join(dir, 'sluice.yaml'),
      `notify:\n  ops: { type: webhook, url: "\${OPS_URL}", secret: "\${OPS_SECRET}" }\n` +
        'webhooks: { notify: [ops], events: [run.started, run.completed, run.failed] }\n',
    );
    const serve = await startServe(['-w', dir, 'serve', '--port', '0', '--metrics-public'], {
      OPS_URL: `${catcher.url}/in`,
      OPS_SECRET: secret,
    });
    processes.push(serve);
    // users-to-segment's schedule fires at start; accounts-to-segment follows it.
    const caught = await catcher.waitFor(4, 30_000);
    const bodies = caught.map(
      (request) => JSON.parse(request.body) as { type: string; data: { sync: string } },
    );
    // Sent as they fall due, several at once: their order at the catcher is not promised.
    expect(bodies.map((body) => [body.type, body.data.sync])).toEqual(
      expect.arrayContaining([
        ['run.started', 'users-to-segment'],
        ['run.completed', 'users-to-segment'],
      ]),
    );
    for (const request of caught) expect(request.verified).toBe(true);
    const delivered = await until(
      () => serve.events.find((e) => e.event === 'notification_delivered' && e.target === 'ops'),
      10_000,
      'a delivery is logged',
    );
    expect(delivered).toMatchObject({ attempt: 1, status: 204 });
    const metrics = await call(`${serve.url}/metrics`, null);
    expect(metrics.text).toMatch(/sluice_notifications_total\{target="ops",outcome="delivered"\} [1-9]/);
    expect(serve.stderr()).not.toContain(secret.slice('whsec_'.length));
    expect(serve.stderr()).not.toContain(`${catcher.url}/in`);
  }, 60_000);
});

describe('log lines', () => {
  it('are words for a person with --log-format pretty', async () => {
    const dir = await demo();
    const serve = startSluice(['-w', dir, 'serve', '--port', '0', '--log-format', 'pretty']);
    processes.push(serve);
    await until(
      () => (/serve_started url=http:\/\/127\.0\.0\.1:\d+/.test(serve.stderr()) ? true : undefined),
      60_000,
      'listens',
    );
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 60_000);
});
