// biome-ignore-all lint/suspicious/noTemplateCurlyInString: sluice.yaml's ${VAR} syntax.
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CaughtRequest, WebhookCatcher } from '../../test/helpers/webhook-catcher.js';
import { Secret } from '../core/workspace.js';
import { DEFAULT_RETRY_DELAYS_MS, Deliverer, type DeliveryLogEvent } from './deliverer.js';
import { Notifier } from './notifier.js';
import {
  documentOf,
  finishedRun,
  openTestState,
  SECRET,
  type TestState,
  testWorkspace,
  URL_TOKEN,
} from './observe-kit.case.js';
import { verifyWebhook } from './standard-webhooks.js';

let t: TestState;
let catcher: WebhookCatcher;
let logs: DeliveryLogEvent[];
/** The deliverer's clock runs this far ahead of the real one: how a test makes a retry due. */
let offsetMs: number;

beforeEach(async () => {
  t = await openTestState();
  catcher = await WebhookCatcher.start({ secret: SECRET });
  logs = [];
  offsetMs = 0;
});

afterEach(async () => {
  await catcher.close();
  await t.close();
});

const clock = () => new Date(Date.now() + offsetMs);

function deliverer(
  options: {
    retryDelaysMs?: number[];
    timeoutMs?: number;
    workspace?: ReturnType<typeof testWorkspace>;
  } = {},
) {
  return new Deliverer({
    state: t.state,
    targets: (options.workspace ?? testWorkspace(catcher.url, [])).notify ?? {},
    log: (event) => logs.push(event),
    clock,
    ...(options.retryDelaysMs === undefined ? {} : { retryDelaysMs: options.retryDelaysMs }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/** A finished run whose events `webhooks:` sends to `targets`; answers the run. */
async function queueRunEvents(targets: string) {
  const workspace = testWorkspace(catcher.url, [
    `webhooks: { notify: [${targets}], events: [run.completed] }`,
  ]);
  const run = await finishedRun(t.state, { counts: { extracted: 5, planned: 5, succeeded: 5 } });
  await new Notifier({ state: t.state, workspace }).runFinished(run, documentOf(run));
  return run;
}

const header = (request: CaughtRequest, name: string) => request.headers[name] as string | undefined;

describe('delivering', () => {
  it('POSTs a webhook its event body, signed per Standard Webhooks', async () => {
    const run = await queueRunEvents('ops');
    expect(await deliverer().deliverDue(clock())).toEqual({ delivered: 1, failed: 0, givenUp: 0 });
    const [request] = await catcher.waitFor(1);
    expect(request).toMatchObject({ method: 'POST', path: `/hooks/ops?token=${URL_TOKEN}`, verified: true });
    expect(header(request!, 'content-type')).toBe('application/json');
    expect(header(request!, 'webhook-id')).toMatch(/^msg_/);
    expect(header(request!, 'webhook-signature')).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(JSON.parse(request!.body)).toEqual({
      type: 'run.completed',
      timestamp: run.finishedAt,
      data: documentOf(run),
    });
    expect(logs).toEqual([
      {
        event: 'notification_delivered',
        target: 'ops',
        type: 'run.completed',
        id: header(request!, 'webhook-id'),
        attempt: 1,
        status: 204,
      },
    ]);
    expect(await t.state.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
    expect(await t.state.notifications.health()).toEqual([
      expect.objectContaining({ target: 'ops', pending: 0, failed: 0, delivered: 1, lastFailure: null }),
    ]);
    // Delivered once: nothing is sent again.
    expect(await deliverer().deliverDue(clock())).toEqual({ delivered: 0, failed: 0, givenUp: 0 });
  });

  it('POSTs Slack its one-line text, with no webhook headers', async () => {
    const run = await queueRunEvents('team');
    await deliverer().deliverDue(clock());
    const [request] = await catcher.waitFor(1);
    expect(request!.path).toBe(`/services/T0/B0/${URL_TOKEN}`);
    expect(JSON.parse(request!.body)).toEqual({
      text: `✅ users: run ${run.runId} completed in 1s — 5 rows read, 5 sent, 0 not delivered, 0 invalid`,
    });
    expect(header(request!, 'content-type')).toBe('application/json');
    expect(header(request!, 'webhook-signature')).toBeUndefined();
  });

  it('sends an unsigned webhook with its id and timestamp when the target has no secret', async () => {
    const workspace = testWorkspace(catcher.url, [
      '  plain: { type: webhook, url: "${OPS_URL}" }',
      'webhooks: { notify: [plain], events: [run.completed] }',
    ]);
    const run = await finishedRun(t.state);
    await new Notifier({ state: t.state, workspace }).runFinished(run, documentOf(run));
    await deliverer({ workspace }).deliverDue(clock());
    const [request] = await catcher.waitFor(1);
    expect(header(request!, 'webhook-id')).toMatch(/^msg_/);
    expect(header(request!, 'webhook-timestamp')).toMatch(/^\d{10}$/);
    expect(header(request!, 'webhook-signature')).toBeUndefined();
  });
});

describe('an alert, end to end', () => {
  it('reaches the webhook signed and Slack as a line naming the sync, the rule and the figures', async () => {
    const workspace = testWorkspace(catcher.url, [
      'alerts: [{ when: failed_rows, over: 5%, notify: [ops, team] }]',
    ]);
    const run = await finishedRun(t.state, {
      counts: { extracted: 100, planned: 100, succeeded: 88, failed: 12 },
    });
    await new Notifier({ state: t.state, workspace }).runFinished(run, documentOf(run));
    expect(await deliverer({ workspace }).deliverDue(clock())).toEqual({
      delivered: 2,
      failed: 0,
      givenUp: 0,
    });
    const requests = await catcher.waitFor(2);
    const webhook = requests.find((r) => r.path.startsWith('/hooks/ops'))!;
    const slack = requests.find((r) => r.path.startsWith('/services/'))!;
    expect(webhook.verified).toBe(true);
    expect(JSON.parse(webhook.body)).toMatchObject({
      type: 'alert.raised',
      data: { sync: 'users', rule: 'failed_rows over 5%', state: 'raised', run_id: run.runId },
    });
    expect(JSON.parse(slack.body)).toEqual({
      text: `🔴 users: failed_rows over 5% raised — 12 of 100 planned rows failed (12%) in run ${run.runId}`,
    });
  });
});

describe('retrying', () => {
  it('retries after each delay in turn, keeping the webhook-id and signing afresh each time', async () => {
    await queueRunEvents('ops');
    catcher.failNext(2);
    const d = deliverer({ retryDelaysMs: [60_000, 120_000, 180_000] });

    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    // Not due until the first delay has passed.
    offsetMs = 59_000;
    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 0, givenUp: 0 });
    offsetMs = 61_000;
    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    offsetMs = 61_000 + 119_000;
    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 0, givenUp: 0 });
    offsetMs = 61_000 + 121_000;
    expect(await d.deliverDue(clock())).toEqual({ delivered: 1, failed: 0, givenUp: 0 });

    const requests = await catcher.waitFor(3);
    expect(requests.map((r) => r.status)).toEqual([500, 500, 204]);
    // One id throughout; each attempt signed with its own time, and every signature verifies.
    expect(new Set(requests.map((r) => header(r, 'webhook-id'))).size).toBe(1);
    const stamps = requests.map((r) => Number(header(r, 'webhook-timestamp')));
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(60);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(120);
    for (const [i, r] of requests.entries()) {
      expect(() =>
        verifyWebhook(r.body, r.headers as Record<string, string>, SECRET, new Date(stamps[i]! * 1000)),
      ).not.toThrow();
    }
    expect(new Set(requests.map((r) => header(r, 'webhook-signature'))).size).toBe(3);

    // Each failure is logged with when it is due again: the delays in order.
    const failures = logs.filter((l) => l.event === 'notification_failed');
    expect(failures).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 500,
        error: `${new URL(catcher.url).host} answered 500`,
      }),
      expect.objectContaining({ attempt: 2, status: 500 }),
    ]);
    const dueAfter = failures.map((f, i) => {
      const next = 'next_attempt_at' in f ? Date.parse(f.next_attempt_at!) : 0;
      return next - (requests[i]!.at.getTime() + (i === 0 ? 0 : 61_000));
    });
    expect(dueAfter[0]).toBeGreaterThanOrEqual(60_000 - 1_000);
    expect(dueAfter[0]).toBeLessThan(60_000 + 1_000);
    expect(dueAfter[1]).toBeGreaterThanOrEqual(120_000 - 1_000);
    expect(dueAfter[1]).toBeLessThan(120_000 + 1_000);
    expect(logs.at(-1)).toMatchObject({ event: 'notification_delivered', attempt: 3, status: 204 });
  });

  it('gives up when the delays run out, and the target shows as failing', async () => {
    await queueRunEvents('ops');
    catcher.failNext(10, 503);
    const d = deliverer({ retryDelaysMs: [60_000] });
    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    offsetMs = 61_000;
    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 0, givenUp: 1 });
    offsetMs = 10 * 86_400_000;
    expect(await d.deliverDue(clock())).toEqual({ delivered: 0, failed: 0, givenUp: 0 });
    expect(catcher.requests).toHaveLength(2);
    expect(logs.at(-1)).toMatchObject({ event: 'notification_given_up', attempt: 2, status: 503 });
    expect(await t.state.notifications.health()).toEqual([
      expect.objectContaining({
        target: 'ops',
        pending: 0,
        failed: 1,
        delivered: 0,
        lastFailure: expect.objectContaining({ status: 503 }),
      }),
    ]);
  });

  it('retries when nothing answers in time, or nothing listens', async () => {
    await queueRunEvents('ops');
    catcher.delayAnswers(1_000);
    expect(await deliverer({ timeoutMs: 200 }).deliverDue(clock())).toEqual({
      delivered: 0,
      failed: 1,
      givenUp: 0,
    });
    expect(logs[0]).toMatchObject({
      event: 'notification_failed',
      status: null,
      error: `${new URL(catcher.url).host} did not answer within 200 ms`,
    });

    const port = await closedPort();
    const workspace = testWorkspace(`http://127.0.0.1:${port}`, [
      'webhooks: { notify: [team], events: [run.completed] }',
    ]);
    const run = await finishedRun(t.state);
    await new Notifier({ state: t.state, workspace }).runFinished(run, documentOf(run));
    logs = [];
    expect(await deliverer({ workspace }).deliverDue(clock())).toEqual({
      delivered: 0,
      failed: 1,
      givenUp: 0,
    });
    expect(logs).toEqual([
      expect.objectContaining({
        event: 'notification_failed',
        target: 'team',
        status: null,
        error: `could not reach 127.0.0.1:${port} (ECONNREFUSED)`,
      }),
    ]);
  });

  it('takes a redirect as a failed attempt, not following it', async () => {
    await queueRunEvents('ops');
    catcher.failNext(1, 307);
    expect(await deliverer().deliverDue(clock())).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    expect(catcher.requests.map((r) => r.status)).toEqual([307]);
    expect(logs[0]).toMatchObject({ event: 'notification_failed', status: 307 });
  });

  it('gives up at once on a target no longer in the workspace, saying so', async () => {
    await queueRunEvents('team');
    const workspace = testWorkspace(catcher.url, []);
    const { team: _gone, ...targets } = workspace.notify!;
    const d = new Deliverer({ state: t.state, targets, log: (event) => logs.push(event) });
    expect(await d.deliverDue()).toEqual({ delivered: 0, failed: 0, givenUp: 1 });
    expect(logs).toEqual([
      expect.objectContaining({
        event: 'notification_given_up',
        target: 'team',
        attempt: 1,
        status: null,
        error: 'notify target "team" is no longer in the workspace',
      }),
    ]);
    expect(catcher.requests).toEqual([]);
  });

  it('by default waits 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h and 12 h', () => {
    expect(DEFAULT_RETRY_DELAYS_MS.map((ms) => ms / 1000)).toEqual([
      5, 30, 120, 600, 1800, 3600, 10_800, 21_600, 43_200,
    ]);
  });
});

describe('drain and start', () => {
  it('drain waits for retries due within its time and delivers them', async () => {
    await queueRunEvents('ops, team');
    catcher.failNext(1);
    const d = new Deliverer({
      state: t.state,
      targets: testWorkspace(catcher.url, []).notify!,
      retryDelaysMs: [300],
      log: (event) => logs.push(event),
    });
    const started = Date.now();
    expect(await d.drain({ withinMs: 5_000 })).toEqual({ delivered: 2, failed: 1, givenUp: 0, pending: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(catcher.requests.map((r) => r.status)).toEqual([500, 204, 204]);
  });

  it('drain stops when the next retry is due after its time, leaving it pending', async () => {
    await queueRunEvents('ops');
    catcher.failNext(1);
    const d = new Deliverer({
      state: t.state,
      targets: testWorkspace(catcher.url, []).notify!,
      retryDelaysMs: [60_000],
    });
    const started = Date.now();
    expect(await d.drain({ withinMs: 1_000 })).toEqual({ delivered: 0, failed: 1, givenUp: 0, pending: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await d.drain({ withinMs: 1_000 })).toMatchObject({ delivered: 0, pending: 1 });
  });

  it('start sends what is due on a timer; stop waits for deliveries in flight', async () => {
    const d = new Deliverer({ state: t.state, targets: testWorkspace(catcher.url, []).notify! });
    d.start(50);
    await queueRunEvents('ops');
    await catcher.waitFor(1);
    catcher.delayAnswers(300);
    await queueRunEvents('team');
    // Stop while the catcher holds its answer to the second: stop waits for it.
    await until(async () => catcher.arrived === 2);
    await d.stop();
    expect(catcher.requests).toHaveLength(2);
    expect(await t.state.notifications.pending()).toEqual({ count: 0, nextDueAt: null });
  });
});

describe('secrets', () => {
  it('never puts the webhook secret or a URL in a log line, an error or the state', async () => {
    await queueRunEvents('ops, team');
    catcher.failNext(2);
    const port = await closedPort();
    const d = deliverer({ retryDelaysMs: [60_000, 60_000] });
    await d.deliverDue(clock());
    offsetMs = 61_000;
    await d.deliverDue(clock());
    // And a target that cannot be reached, and one that vanished.
    const elsewhere = testWorkspace(`http://127.0.0.1:${port}`, [
      'webhooks: { notify: [ops], events: [run.completed] }',
    ]);
    const run = await finishedRun(t.state);
    await new Notifier({ state: t.state, workspace: elsewhere }).runFinished(run, documentOf(run));
    await deliverer({ workspace: elsewhere }).deliverDue(clock());
    expect(logs.length).toBeGreaterThanOrEqual(5);

    const secretKey = SECRET.slice('whsec_'.length);
    const text = JSON.stringify(logs) + (await t.closeAndRead());
    for (const needle of [SECRET, secretKey, URL_TOKEN, 'hooks/ops', 'services/T0', 'http://']) {
      expect(text).not.toContain(needle);
    }
    expect(String(new Secret(SECRET))).toBe('[secret]');
  });
});

/** A loopback port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
