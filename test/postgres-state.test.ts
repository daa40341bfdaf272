// `state: postgres://…` as a user meets it (SPEC §5): a workspace whose state lives in PostgreSQL,
// synced into the real receiver twice; the second run finds nothing changed and sends nothing.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import type { SyncRunResult } from '../src/sync/run-result.js';
import { sluice } from './helpers/cli.js';
import { WebhookCatcher } from './helpers/webhook-catcher.js';
import { tempWorkspace } from './helpers/workspace.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** This file's own database, dropped at the end. */
const database = `sluice_postgres_state_${randomBytes(4).toString('hex')}`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let dir: string;
let cleanup: () => Promise<void>;
let receiver: Receiver;

beforeAll(async () => {
  await admin(`CREATE DATABASE ${database} ENCODING 'UTF8' TEMPLATE template0`);
  ({ dir, cleanup } = await tempWorkspace());
  receiver = await startReceiver({ port: 0 });
});
afterAll(async () => {
  await receiver?.close();
  await cleanup?.();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

describe('a workspace with its state in PostgreSQL', () => {
  it('sends every row once, then nothing when nothing changed, and lists its runs from there', async () => {
    const ws = join(dir, 'ws');
    expect((await sluice('init', ws, '--endpoint', receiver.url)).code).toBe(0);
    const yamlPath = join(ws, 'sluice.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    const url = `postgres://postgres@127.0.0.1:5432/${database}?schema=e2e`;
    await writeFile(yamlPath, yaml.replace(/^state: .*$/m, `state: ${url}`));
    receiver.reset();

    const run = async () => {
      const result = await sluice('-w', ws, 'sync', 'run', 'users-to-segment', '--json');
      expect(result.code, result.stdout).toBe(0);
      return result.json<SyncRunResult>();
    };
    const first = await run();
    expect(first.counts.succeeded).toBeGreaterThan(0);
    expect(receiver.messages()).toHaveLength(first.counts.succeeded);

    const second = await run();
    expect(second.counts.succeeded).toBe(0);
    expect(second.counts.planned).toBe(0);
    expect(receiver.messages()).toHaveLength(first.counts.succeeded);

    // The runs are in PostgreSQL, under the schema the URL named.
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${database}` });
    await client.connect();
    const { rows } = await client.query("SELECT status FROM e2e.runs WHERE sync = 'users-to-segment'");
    await client.end();
    expect(rows.map((row) => row.status)).toEqual(['completed', 'completed']);
  });

  it('takes over a SQLite state with sluice state migrate: the first run on PostgreSQL sends nothing', async () => {
    const ws = join(dir, 'moved');
    expect((await sluice('init', ws, '--endpoint', receiver.url)).code).toBe(0);
    receiver.reset();
    const run = async () => {
      const result = await sluice('-w', ws, 'sync', 'run', 'users-to-segment', '--json');
      expect(result.code, result.stdout).toBe(0);
      return result.json<SyncRunResult>();
    };
    const first = await run();
    expect(first.counts.succeeded).toBeGreaterThan(0);

    const url = `postgres://postgres@127.0.0.1:5432/${database}?schema=moved`;
    const migrated = await sluice('-w', ws, 'state', 'migrate', '--to', url);
    expect(migrated.code, migrated.stderr).toBe(0);
    const yamlPath = join(ws, 'sluice.yaml');
    await writeFile(yamlPath, (await readFile(yamlPath, 'utf8')).replace(/^state: .*$/m, `state: ${url}`));
    const after = await run();
    expect(after.counts.succeeded).toBe(0);
    expect(after.counts.unchanged).toBe(first.counts.succeeded);
    expect(receiver.messages()).toHaveLength(first.counts.succeeded);
  });

  it('raises and resolves alerts once and delivers their webhooks from PostgreSQL state', async () => {
    const secret = `whsec_${Buffer.from('pg-alerts-signing-key-0123456789ab').toString('base64')}`;
    const catcher = await WebhookCatcher.start({ secret });
    try {
      const ws = join(dir, 'alerts');
      expect((await sluice('init', ws, '--endpoint', receiver.url)).code).toBe(0);
      const yamlPath = join(ws, 'sluice.yaml');
      const url = `postgres://postgres@127.0.0.1:5432/${database}?schema=alerts`;
      const yaml = (await readFile(yamlPath, 'utf8')).replace(/^state: .*$/m, `state: ${url}`);
      await writeFile(
        yamlPath,
        `${yaml}notify:\n  ops: { type: webhook, url: "${catcher.url}/hook", secret: "${secret}" }\n` +
          'alerts:\n  - { when: failed_rows, over: 5%, notify: [ops] }\n',
      );
      const run = async () => {
        const out = await sluice('-w', ws, 'sync', 'run', 'users-to-segment', '--json');
        return out.json<SyncRunResult>();
      };
      receiver.setFaults({ failRate: 1, failStatus: 400 });
      try {
        expect((await run()).counts.failed).toBeGreaterThan(0);
        expect((await run()).counts.failed).toBeGreaterThan(0);
      } finally {
        receiver.setFaults({});
      }
      expect((await run()).counts.failed).toBe(0);
      const events = catcher.requests.map((request) => (JSON.parse(request.body) as { type: string }).type);
      expect(events).toEqual(['alert.raised', 'alert.resolved']);
      for (const request of catcher.requests) expect(request.verified).toBe(true);
      const listed = await sluice('-w', ws, 'alerts', '--json');
      expect(listed.json()).toMatchObject({
        items: [{ sync: 'users-to-segment', rule: 'failed_rows over 5%', state: 'resolved' }],
        targets: [{ target: 'ops', delivered: 2, pending: 0 }],
      });
    } finally {
      await catcher.close();
    }
  });
});
