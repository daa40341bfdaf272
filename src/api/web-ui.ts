import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ApiEnv } from './api-env.js';

/**
 * Where `npm run build` puts the web UI (web/ built by Vite): `dist/web` of the package. This file
 * is two folders below the package's root both as source (src/api) and built (dist/api).
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Vite names what it emits under assets/ by content hash: a new build gets new names. */
const HASHED = 'public, max-age=31536000, immutable';
/** Everything else (index.html above all) names those assets: always asked again. */
const REVALIDATE = 'no-cache';

/**
 * The page holds an API token: scripts, styles and requests only from this origin, never framed.
 * The API's JSON answers are not pages and need none of this.
 */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Serves the built web UI at `/` (SPEC §6): its files from `root`, and index.html for any other
 * page URL without a file extension, so a reloaded or shared page URL opens the app. `/api/*` and
 * `/metrics` are never the UI's: an unknown route there stays the API's JSON 404. When the UI was
 * not built, every page says so and how to build it.
 */
export function addWebUi(app: OpenAPIHono<ApiEnv>, root: string): void {
  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    const path = c.req.path;
    if (path === '/api' || path.startsWith('/api/') || path === '/metrics') return next();
    const index = join(root, 'index.html');
    if (!(await isFile(index))) return notBuilt(c, root);
    const file = fileUnder(root, path);
    if (file !== null && (await isFile(file))) return sendFile(c, file, path.startsWith('/assets/'));
    // A missing script or image is a 404; a missing page is the app's own route.
    if (extname(path) !== '') return c.text('not found', 404, PAGE_HEADERS);
    return sendFile(c, index, false);
  });
}

/** The file `path` names under `root`, or null for a path that would leave it. */
function fileUnder(root: string, path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.endsWith('/')) return null;
  const file = normalize(join(root, decoded));
  const base = normalize(root.endsWith(sep) ? root : `${root}${sep}`);
  return file.startsWith(base) ? file : null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(c: Context<ApiEnv>, file: string, hashed: boolean): Promise<Response> {
  const body = await readFile(file);
  return c.body(new Uint8Array(body), 200, {
    ...PAGE_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': hashed ? HASHED : REVALIDATE,
  });
}

function notBuilt(c: Context<ApiEnv>, root: string): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice: the web UI is not built</title></head>
<body><main>
<h1>The web UI is not built</h1>
<p>This <code>sluice serve</code> found no <code>index.html</code> in <code>${escapeHtml(root)}</code>.</p>
<p>In the Sluice checkout, run <code>npm run build</code> (<code>npm install</code> runs it too), then reload this page.</p>
<p>The HTTP API works without it: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> describes it.</p>
</main></body></html>
`;
  return c.html(html, 503, { ...PAGE_HEADERS, 'Cache-Control': REVALIDATE });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
