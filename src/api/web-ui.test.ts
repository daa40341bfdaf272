// Serving the built web UI (web-ui.ts) from a real folder: caching, page URLs, /api kept apart,
// paths that try to leave the folder, and the page shown when the UI was not built.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnv } from './api-env.js';
import { addWebUi, DEFAULT_WEB_ROOT } from './web-ui.js';

let dir: string;
let root: string;
const INDEX =
  '<!doctype html><title>Sluice</title><script type="module" src="/assets/index-abc123.js"></script>';

function appFor(webRoot: string) {
  const app = new OpenAPIHono<ApiEnv>();
  app.get('/api/v1/health', (c) => c.json({ status: 'ok' }));
  addWebUi(app, webRoot);
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no route' } }, 404));
  return app;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-web-ui-'));
  root = join(dir, 'web');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(join(dir, 'secret.txt'), 'outside the web root');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the web UI at /', () => {
  it('serves index.html at / to be asked for again every time', async () => {
    const response = await appFor(root).request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toBe(INDEX);
  });

  it('serves hashed assets as immutable for a year, with their types', async () => {
    const app = appFor(root);
    const js = await app.request('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await app.request('/assets/index-abc123.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const head = await app.request('/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers a page URL with index.html, and a missing file with a 404', async () => {
    const app = appFor(root);
    const page = await app.request('/syncs/users');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toBe(INDEX);
    expect((await app.request('/assets/gone-123.js')).status).toBe(404);
  });

  it('leaves /api and /metrics to the API: an unknown route there is its JSON 404', async () => {
    const app = appFor(root);
    expect(await (await app.request('/api/v1/health')).json()).toEqual({ status: 'ok' });
    for (const path of ['/api/v1/nope', '/api', '/metrics']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no route' } });
    }
  });

  it('never serves a file outside its folder', async () => {
    const app = appFor(root);
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%E0%A4%A',
    ]) {
      const response = await app.request(path);
      expect(await response.text(), path).not.toContain('outside the web root');
    }
  });

  it('says how to build the UI when it was not built, and keeps the API working', async () => {
    const app = appFor(join(dir, 'not-built'));
    const response = await app.request('/runs/r1');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8$/i);
    const text = await response.text();
    expect(text).toContain('The web UI is not built');
    expect(text).toContain('npm run build');
    expect((await app.request('/api/v1/health')).status).toBe(200);
  });

  it("finds the package's own build at dist/web", () => {
    expect(DEFAULT_WEB_ROOT.replaceAll('\\', '/')).toMatch(/\/dist\/web\/$/);
  });
});
