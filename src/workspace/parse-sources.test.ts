// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../core/errors.js';
import { parseWorkspace } from './load-workspace.js';

const DIR = '/work/ws';

function sources(lines: string[], env: Record<string, string> = {}) {
  return parseWorkspace(['sources:', ...lines].join('\n'), { dir: DIR, file: 'sluice.yaml', env }).sources;
}

describe('network source keys', () => {
  it('reads TLS settings for postgres and mysql, resolving certificate paths against the workspace', () => {
    const parsed = sources(
      [
        '  app:',
        '    type: postgres',
        '    url: "${PG_URL}"',
        '    sslmode: verify-full',
        '    sslrootcert: certs/ca.pem',
        '    statement_timeout: 30s',
        '  crm:',
        '    type: mysql',
        '    url: "mysql://u:${MY_PW}@db:3306/crm"',
        '    sslmode: verify-ca',
        '    sslrootcert: /etc/ssl/ca.pem',
        '    sslcert: certs/client.pem',
        '    sslkey: certs/client.key',
      ],
      { PG_URL: 'postgres://u:pg-pw-123@db/app', MY_PW: 'my-pw-456' },
    );
    const { url: pgUrl, ...pg } = parsed.app as Extract<(typeof parsed)[string], { type: 'postgres' }>;
    expect(pg).toEqual({
      type: 'postgres',
      sslmode: 'verify-full',
      sslrootcert: '/work/ws/certs/ca.pem',
      statementTimeoutMs: 30_000,
    });
    expect(pgUrl.reveal()).toBe('postgres://u:pg-pw-123@db/app');
    const { url: myUrl, ...my } = parsed.crm as Extract<(typeof parsed)[string], { type: 'mysql' }>;
    expect(my).toEqual({
      type: 'mysql',
      sslmode: 'verify-ca',
      sslrootcert: '/etc/ssl/ca.pem',
      sslcert: '/work/ws/certs/client.pem',
      sslkey: '/work/ws/certs/client.key',
    });
    expect(myUrl.reveal()).toBe('mysql://u:my-pw-456@db:3306/crm');
  });

  it('refuses an unknown sslmode for mysql and a misspelt TLS key, never echoing the url', () => {
    let error: ConfigError | undefined;
    try {
      sources([
        '  crm: { type: mysql, url: "mysql://u:hidden-pw-1@h/db", sslmode: always }',
        '  app: { type: postgres, url: "postgres://u:hidden-pw-2@h/db", sslrootcrt: ca.pem }',
      ]);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(
        /^sslmode of source "crm" is "always"; it must be one of: disable, allow, prefer/,
      ),
      expect.stringMatching(/^unknown key "sslrootcrt" in source "app"/),
    ]);
    expect(error?.message).not.toMatch(/hidden-pw/);
  });
});
