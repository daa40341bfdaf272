// The web UI in a real browser (issue 15): Debian's chromium driven by playwright-core against a
// real `sluice serve` process on a demo workspace (`sluice init`) whose destination is the receiver
// on loopback; the UI is built from web/ first, into dist/web where serve finds it.
// One browser and one server for the whole file; the tests run in order, each building on the last.
// Screenshots of the main pages go to docs/screenshots/ (the README shows them).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDocument } from '../src/index.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { sluice as cli } from './helpers/cli.js';
import { type ServeProcess, startServe } from './helpers/serve-process.js';
import { buildWebUi } from './helpers/web-build.js';
import { duckdb, tempWorkspace } from './helpers/workspace.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);
/** The webhook target's signing secret: a secret, so never in a page. */
const WEBHOOK_SECRET = `whsec_${Buffer.from('web-ui-test-webhook-secret').toString('base64')}`;
if (!hasChromium && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
}
if (!hasChromium) {
  console.warn(`web UI browser tests skipped: no ${CHROMIUM} (install it: apt-get install -y chromium)`);
}

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;
let serve: ServeProcess & { url: string };
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const tokens = { admin: '', viewer: '' };
/** Every console error and failed request any page of the file saw; checked at the end. */
const problems: string[] = [];
const started = Date.now();

/** Paths of the run event streams the pages opened. */
const streams: string[] = [];

function watch(target: Page): void {
  target.on('request', (request) => {
    if (request.url().endsWith('/events')) streams.push(new URL(request.url()).pathname);
  });
  target.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error on ${target.url()}: ${message.text()}`);
  });
  target.on('pageerror', (error) => problems.push(`page error on ${target.url()}: ${error.message}`));
  target.on('requestfailed', (request) => {
    // The app aborts its own requests (an event stream, a load) when the page they were for is left.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  target.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.admin}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function screenshot(target: Page, name: string): Promise<void> {
  await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The run the page shows, once its status badge says it has finished. */
async function finishedRun(): Promise<RunDocument> {
  await expect
    .poll(() => page.locator('[data-testid="run-status"]').textContent(), { timeout: 30_000 })
    .toMatch(/completed|failed/);
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!.split('?')[0]!);
  return api<RunDocument>(`/api/v1/runs/${encodeURIComponent(id)}`);
}

describe.skipIf(!hasChromium)('the web UI in chromium', () => {
  beforeAll(async () => {
    await buildWebUi();
    ({ dir, cleanup } = await tempWorkspace('sluice-web-'));
    receiver = await startReceiver({ port: 0 });
    expect((await cli('init', dir, '--endpoint', receiver.url, '--force')).code).toBe(0);
    // The test runs users-to-segment itself: its every-minute schedule would race the Run button.
    const yamlPath = join(dir, 'sluice.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    // events-to-segment's every-5-minutes cron becomes yearly, so it runs only when the test says.
    // A rate limit makes runs last long enough to be watched live and cancelled. An alert on failed
    // rows notifies a webhook nothing listens at (port 9 on loopback), so its target fails.
    await writeFile(
      yamlPath,
      yaml
        .replace(/\n\s*#[^\n]*\n\s*schedule: every 1m\n/, '\n')
        .replace('cron: "*/5 * * * *"', 'cron: "0 0 1 1 *"')
        .replace(/(\n {4}endpoint: [^\n]+\n)/, '$1    rate_limit: 250/s\n')
        .replace(
          '\nsyncs:\n',
          `\nnotify:\n  ops: { type: webhook, url: "http://127.0.0.1:9/hooks", secret: "${WEBHOOK_SECRET}" }\n` +
            'alerts:\n  - { when: failed_rows, over: 5%, notify: [ops] }\n\nsyncs:\n',
        ),
    );
    serve = await startServe(['-w', dir, 'serve', '--port', '0']);
    base = serve.url;
    // The first start made an admin token and printed it; a viewer's is made beside it.
    tokens.admin = /^admin token: (\S+)$/m.exec(serve.stdout())![1]!;
    const viewer = await cli('-w', dir, 'token', 'create', 'web-viewer', '--role', 'viewer', '--json');
    tokens.viewer = viewer.json<{ token: string }>().token;
    browser = await chromium.launch({ executablePath: CHROMIUM });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watch(page);
  });

  afterAll(async () => {
    if (process.env.WEB_DEBUG) console.log(problems, await api('/api/v1/runs'));
    await browser?.close();
    serve?.child.kill('SIGTERM');
    expect(await serve?.exited).toBe(0);
    await receiver?.close();
    await cleanup?.();
    console.log(`web UI browser tests: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('asks for a token, refuses none and a bad one, and signs in with one from the keyboard', async () => {
    await page.goto(base);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in to Sluice');
    // The field has the focus: Enter with nothing typed, then type the token and press Enter.
    expect(await page.evaluate('document.activeElement?.id')).toBe('token');
    await page.keyboard.press('Enter');
    expect(await page.getByRole('alert').textContent()).toContain('Paste an API token first');
    await page.keyboard.type('slk_not-a-token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The API token was refused');
    // That refusal (and the browser's console line about it) is the one failed request this file expects.
    expect(problems).toEqual([
      `HTTP 401: GET ${base}/api/v1/me`,
      `console error on ${base}/: Failed to load resource: the server responded with a status of 401 (Unauthorized)`,
    ]);
    problems.length = 0;
    await page.getByLabel('API token').fill('');
    await page.keyboard.type(tokens.admin);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Syncs' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('admin (admin)');
  });

  it('lists every sync with its object, model, destination and schedule, and searches them', async () => {
    const rows = page.locator('table.syncs tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const names = await page.locator('table.syncs tbody th').allTextContents();
    expect(names).toEqual(['users-to-segment', 'accounts-to-segment', 'events-to-segment']);
    const events = page.locator('tr[data-sync="events-to-segment"]');
    expect(await events.textContent()).toContain('event');
    expect(await events.textContent()).toContain('events → segment');
    expect(await events.textContent()).toContain('cron 0 0 1 1 *');
    expect(await page.locator('tr[data-sync="users-to-segment"]').textContent()).toContain('never run');
    await page.getByPlaceholder('Search by name').fill('account');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByPlaceholder('Search by name').fill('nothing like it');
    expect(await page.locator('.empty').textContent()).toContain('No sync matches');
    await page.getByPlaceholder('Search by name').fill('');
    await expect.poll(() => rows.count()).toBe(3);
  });

  it('opens a sync with the keyboard, shows its mappings, runs it, and the counts become final', async () => {
    await page.getByRole('link', { name: 'users-to-segment' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'users-to-segment' }).waitFor();
    expect(await page.locator('table').first().textContent()).toContain('traits.email');
    expect(await page.locator('.empty').textContent()).toContain('No runs yet');
    // Secrets never reach the page: the write key is not in it.
    expect(await page.content()).not.toContain('demo-write-key');
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/runs\//);
    // Two seconds at 250 messages a second: the page follows it live, then shows it final.
    await expect
      .poll(() => page.locator('[data-testid="run-status"]').textContent())
      .toMatch(/queued|running/);
    expect(await page.getByText('Its records appear here once it has finished').count()).toBe(1);
    const run = await finishedRun();
    expect(run.status).toBe('completed');
    expect(streams).toContain(`/api/v1/runs/${run.run_id}/events`);
    expect(run.counts.succeeded).toBe(500);
    expect(await page.locator('[data-count="succeeded"] dd').textContent()).toBe('500');
    expect(await page.locator('[data-count="planned"] dd').textContent()).toBe('500');
    // The receiver got them (other syncs keep their schedules and may have sent too).
    expect(receiver.messages().filter((m) => m.type === 'identify')).toHaveLength(500);
  });

  it("filters a run's records by status and key, a page at a time", async () => {
    const rows = page.locator('table.records tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await page.locator('.empty').waitFor();
    expect(await page.locator('.empty').textContent()).toContain('No record matches');
    await page.getByLabel('Status').selectOption('succeeded');
    await page.waitForURL(/status=succeeded/);
    await expect.poll(() => rows.count()).toBe(50);
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))))).toEqual(
      new Set(['succeeded']),
    );
    const first = await rows.locator('td:first-child').allTextContents();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.locator('.pager .muted').textContent()).toBe('Page 2');
    await expect
      .poll(async () => (await rows.locator('td:first-child').allTextContents())[0])
      .not.toBe(first[0]);
    const second = await rows.locator('td:first-child').allTextContents();
    expect(second.filter((key) => first.includes(key))).toEqual([]);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => page.locator('.pager .muted').textContent()).toBe('Page 1');
    await screenshot(page, 'run');
    await page.getByPlaceholder('exact key').fill('7');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(/key=7/);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.locator('td:first-child').textContent()).toBe('7');
    // By reason: every row of this first run was new, none changed.
    await page.getByLabel('Reason').selectOption('changed');
    await page.waitForURL(/reason=changed/);
    await page.locator('.empty').waitFor();
    await page.getByLabel('Reason').selectOption('new');
    await page.waitForURL(/reason=new/);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.locator('td:nth-child(3)').textContent()).toBe('new');
  });

  it('previews a dry run: each changed message with its changed fields marked', async () => {
    // User 7 moves to another plan and city in the warehouse.
    await duckdb(
      join(dir, 'warehouse.duckdb'),
      `update users set plan = 'enterprise', city = 'Reykjavik' where id = 7`,
    );
    await page.getByRole('link', { name: 'users-to-segment' }).first().click();
    await page.getByRole('button', { name: 'Dry run' }).click();
    const preview = page.locator('.dry-run');
    await preview.waitFor({ timeout: 30_000 });
    expect(await preview.locator('h3').textContent()).toContain('1 planned');
    const sample = preview.locator('.sample');
    expect(await sample.count()).toBe(1);
    expect(await sample.locator('.badge').textContent()).toBe('changed');
    expect(await sample.locator('.changed-fields code').allTextContents()).toEqual([
      'traits.address.city',
      'traits.plan',
    ]);
    const marked = await sample.locator('mark.changed-line').allTextContents();
    expect(marked.map((line) => line.replace(' (changed)', '').trim())).toEqual([
      '"plan": "enterprise",',
      '"city": "Reykjavik"',
    ]);
    // The dry run is in the history, and sent nothing.
    await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(2);
    expect(await page.locator('table.runs tbody tr').first().textContent()).toContain('dry run');
    await screenshot(page, 'sync-dry-run');
  });

  it("shows a key's history, each message diffed against the one before", async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/runs\//);
    expect((await finishedRun()).counts.succeeded).toBe(1);
    await page.locator('table.records a', { hasText: /^7$/ }).click();
    await page.getByRole('heading', { name: 'Key 7' }).waitFor();
    const entries = page.locator('.history-entry');
    await expect.poll(() => entries.count()).toBe(2);
    const diff = await entries.first().locator('table.diff tbody tr').allTextContents();
    expect(diff).toEqual([
      'traits.address.city changed"Lisbon""Reykjavik"',
      'traits.plan changed"pro""enterprise"',
    ]);
    expect(await entries.nth(1).textContent()).toContain('The first message for this key');
    await screenshot(page, 'key');
  });

  it('cancels a run while it goes: it ends failed, interrupted', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
    await page.getByRole('link', { name: 'events-to-segment' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/runs\//);
    await expect.poll(() => page.locator('[data-testid="run-status"]').textContent()).toBe('running');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const run = await finishedRun();
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('interrupted');
    expect(run.counts.succeeded).toBeLessThan(2000);
    expect(await page.getByRole('alert').textContent()).toContain('interrupted');
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
  });

  it('shows the syncs with their last runs, also on a phone', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
    const users = page.locator('tr[data-sync="users-to-segment"]');
    await expect.poll(() => users.textContent()).toContain('completed');
    expect(await users.locator('svg.sparkline rect').count()).toBe(2);
    await screenshot(page, 'syncs');
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing wider than the screen: tables scroll inside themselves.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'syncs-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('gives a viewer no buttons that change anything', async () => {
    const viewer = await browser.newPage();
    watch(viewer);
    await viewer.goto(`${base}/#/syncs/users-to-segment`);
    await viewer.getByLabel('API token').fill(tokens.viewer);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByRole('heading', { name: 'users-to-segment' }).waitFor();
    await viewer.locator('table.runs').waitFor();
    expect(await viewer.getByRole('button', { name: 'Run now' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Dry run' }).count()).toBe(0);
    await viewer.close();
  });

  it("inspects a run's exchanges: failed ones marked with their attempts, opened, no write key", async () => {
    // Every user changes, and the receiver answers 500 to about four requests in ten: retried.
    await duckdb(join(dir, 'warehouse.duckdb'), `update users set city = city || '.'`);
    receiver.setFaults({ failRate: 0.4, seed: 5 });
    let run: RunDocument;
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
      await page.getByRole('link', { name: 'users-to-segment' }).click();
      // The sync's settings name the alerts that watch it, and their targets (never a URL).
      await expect
        .poll(() => page.getByTestId('sync-alerts').textContent())
        .toContain('failed_rows over 5% → ops');
      await page.getByRole('button', { name: 'Run now' }).click();
      await page.waitForURL(/#\/runs\//);
      run = await finishedRun();
    } finally {
      receiver.setFaults({});
    }
    expect(run.status).toBe('completed');
    expect(run.counts.succeeded).toBe(500);
    const kept = await api<{ items: { status: number | null; attempt: number }[] }>(
      `/api/v1/runs/${encodeURIComponent(run.run_id)}/exchanges?limit=1000`,
    );
    const failed = kept.items.filter((e) => e.status === 500);
    expect(failed.length).toBeGreaterThan(0);
    expect(kept.items.some((e) => e.attempt > 1)).toBe(true);

    // The run page's Inspector tab, from the keyboard.
    await page
      .getByRole('navigation', { name: 'Views of this run' })
      .getByRole('link', { name: 'Inspector' })
      .focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/exchanges$/);
    const rows = page.locator('table.exchanges tbody tr:not(.exchange-detail)');
    await expect.poll(() => rows.count()).toBe(Math.min(50, kept.items.length));
    expect(await page.locator('tr[data-failed="true"]').count()).toBe(
      kept.items.slice(0, 50).filter((e) => e.status === 500).length,
    );
    expect(await page.getByTestId('exchange-summary').textContent()).toMatch(/\d+ failed/);

    // Only the failed ones: each a 500, each with its attempt.
    await page.getByLabel('Show').selectOption('failed');
    await page.waitForURL(/show=failed/);
    await expect.poll(() => rows.count()).toBe(Math.min(50, failed.length));
    expect(new Set(await page.getByTestId('exchange-status').allTextContents())).toEqual(
      new Set(['500 (failed)']),
    );
    const attempts = await page.getByTestId('exchange-attempt').allTextContents();
    expect(attempts).toEqual(failed.slice(0, 50).map((e) => String(e.attempt)));

    // Back to all of them, a failed one opened with the keyboard: its headers (the write key
    // redacted) and both bodies.
    await page.getByLabel('Show').selectOption('all');
    await page.waitForURL(/\/exchanges$/);
    await expect.poll(() => rows.count()).toBe(Math.min(50, kept.items.length));
    const opened = page
      .locator('tr[data-failed="true"]', { has: page.locator('.badge-cut') })
      .first()
      .locator('button.disclosure');
    await opened.focus();
    await page.keyboard.press('Enter');
    const detail = page.locator('tr.exchange-detail');
    await detail.waitFor();
    expect(await opened.getAttribute('aria-expanded')).toBe('true');
    const request = detail.getByRole('region', { name: 'Request' });
    const response = detail.getByRole('region', { name: 'Response' });
    expect(await request.locator('table.headers').textContent()).toMatch(/authorization\[secret\]/i);
    // The batch is cut to 4 KB (so shown as text, said to be cut); the error answer is whole JSON.
    expect(await request.locator('.body-head').textContent()).toMatch(/cut: first 4\.0 KB of \d/);
    expect(await request.locator('pre').textContent()).toContain('"messageId"');
    expect(await response.locator('pre .line').allTextContents()).toContain('  "code": "injected_failure",');
    expect(await detail.locator('.message-ids summary').textContent()).toMatch(
      /\d+ messageIds in this request/,
    );

    // The write key, as itself or inside a Basic credential, is nowhere in the page.
    const html = await page.content();
    expect(html).not.toContain('demo-write-key');
    expect(html).not.toContain(Buffer.from('demo-write-key:').toString('base64'));
    await screenshot(page, 'inspector');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('raises an alert when every request fails, and flags the notification target that fails', async () => {
    // Every user changes again, and the receiver refuses every request (400: not retried).
    await duckdb(join(dir, 'warehouse.duckdb'), `update users set city = city || '!'`);
    receiver.setFaults({ failRate: 1, failStatus: 400 });
    let run: RunDocument;
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
      await page.getByRole('link', { name: 'users-to-segment' }).click();
      await page.getByRole('button', { name: 'Run now' }).click();
      await page.waitForURL(/#\/runs\//);
      run = await finishedRun();
    } finally {
      receiver.setFaults({});
    }
    expect(run.counts.failed).toBe(500);

    // The syncs page says users-to-segment has an open alert, and its badge opens them.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
    const badge = page.locator('tr[data-sync="users-to-segment"]').getByTestId('open-alerts');
    await expect.poll(() => badge.textContent()).toBe('1 open alert');
    expect(await page.getByTestId('open-alerts').count()).toBe(1);
    await badge.click();
    await page.waitForURL(/#\/alerts\?sync=users-to-segment&state=raised$/);
    await expect.poll(() => page.locator('li.alert-item').count()).toBe(1);

    // The whole page, from the main navigation: the open alert, red, with its figures and links.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.waitForURL(/#\/alerts$/);
    const open = page.locator('li.alert-item[data-alert-state="raised"]');
    await expect.poll(() => open.count()).toBe(1);
    expect(await page.getByTestId('open-count').textContent()).toBe('1');
    const text = await open.textContent();
    expect(text).toContain('failed_rows over 5%');
    expect(text).toContain('on users-to-segment');
    expect(text).toContain('failed 500 · planned 500 · ratio 100% · over 5%');
    expect(await open.getByRole('link', { name: `run ${run.run_id}` }).getAttribute('href')).toBe(
      `#/runs/${encodeURIComponent(run.run_id)}`,
    );
    expect(await open.getByRole('link', { name: 'users-to-segment' }).getAttribute('href')).toBe(
      '#/syncs/users-to-segment',
    );
    expect(await page.locator('li.alert-item[data-alert-state="resolved"]').count()).toBe(0);

    // Its notification could not be delivered: the target shows as failing, the delivery pending.
    // (serve delivers in the background; the page is reloaded until it has tried.)
    const ops = page.locator('li.target[data-target="ops"]');
    await expect
      .poll(
        async () => {
          await page.reload();
          await ops.waitFor();
          return ops.getAttribute('data-health');
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe('failing');
    expect(await ops.textContent()).toContain('webhook · 127.0.0.1:9');
    expect(await ops.getByTestId('target-failure').textContent()).toMatch(/^Last attempt failed .+: .+/);
    expect(Number(await ops.getByTestId('target-pending').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('failing-count').textContent()).toBe('1 failing');
    const html = await page.content();
    expect(html).not.toContain(WEBHOOK_SECRET);
    expect(html).not.toContain('/hooks');
    await screenshot(page, 'alerts');

    // Filters: no resolved alert yet; none on another sync.
    await page.getByLabel('State').selectOption('resolved');
    await page.waitForURL(/state=resolved/);
    await expect.poll(() => page.locator('.empty').first().textContent()).toContain('No resolved alert');
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Sync').selectOption('accounts-to-segment');
    await page.waitForURL(/sync=accounts-to-segment/);
    await expect.poll(() => page.locator('.empty').first().textContent()).toContain('No open alert matches');
    await page.getByRole('link', { name: 'Clear filters' }).click();
    await expect.poll(() => open.count()).toBe(1);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });

    // With the receiver healthy, the next run sends the failed rows and resolves the alert.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Syncs' }).click();
    await page.getByRole('link', { name: 'users-to-segment' }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/runs\//);
    const healthy = await finishedRun();
    expect(healthy.counts.succeeded).toBe(500);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    const resolved = page.locator('li.alert-item[data-alert-state="resolved"]');
    await expect.poll(() => resolved.count()).toBe(1);
    expect(await page.locator('#open-title + .empty').textContent()).toBe('No alert is open.');
    const links = await resolved
      .getByRole('link', { name: /^run r_/ })
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual([
      `#/runs/${encodeURIComponent(run.run_id)}`,
      `#/runs/${encodeURIComponent(healthy.run_id)}`,
    ]);
  });

  it('saw no console error and no failed request', () => {
    expect(problems).toEqual([]);
  });
});
