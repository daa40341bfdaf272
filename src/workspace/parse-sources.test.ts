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

describe('DuckDB resource keys (duckdb and files)', () => {
  it('reads memory_limit, temp_directory (against the workspace) and threads', () => {
    const parsed = sources([
      '  warehouse: { type: duckdb, path: w.duckdb, memory_limit: 512MB, temp_directory: tmp/spill, threads: 4 }',
      '  files: { type: files, memory_limit: 1.5 GiB, temp_directory: /var/tmp/sluice }',
      '  plain: { type: duckdb, path: ":memory:" }',
    ]);
    expect(parsed).toEqual({
      warehouse: {
        type: 'duckdb',
        path: '/work/ws/w.duckdb',
        memoryLimit: '512MB',
        tempDirectory: '/work/ws/tmp/spill',
        threads: 4,
      },
      files: { type: 'files', memoryLimit: '1.5GiB', tempDirectory: '/var/tmp/sluice' },
      plain: { type: 'duckdb', path: ':memory:' },
    });
  });

  it.each(['256MiB', '1GB', '2gb', '64 MB', '1TiB', '100KB'])('accepts the size %s', (size) => {
    const parsed = sources([`  w: { type: duckdb, path: w.duckdb, memory_limit: ${size} }`]);
    expect(parsed.w).toMatchObject({ memoryLimit: size.replace(' ', '') });
  });

  it('refuses sizes DuckDB would refuse or guess at, and threads below 1, each on its line with a fix', () => {
    let error: ConfigError | undefined;
    try {
      sources([
        '  a: { type: duckdb, path: a.duckdb, memory_limit: 512 }',
        '  b:',
        '    type: files',
        '    memory_limit: 80%',
        '  c: { type: duckdb, path: c.duckdb, memory_limit: 0GB, threads: 0 }',
        '  d: { type: files, memory_limit: 1 G, threads: two }',
      ]);
    } catch (e) {
      error = e as ConfigError;
    }
    const size = /^memory_limit of source "(a|b|c|d)" must be a size such as 512MB or 2GiB$/;
    const sizeFix = /KB, MB, GB, TB \(powers of 1000\) or KiB, MiB, GiB, TiB \(powers of 1024\)/;
    expect(error?.problems.map(({ line, message, fix }) => ({ line, message, fix }))).toEqual([
      { line: 2, message: expect.stringMatching(size), fix: expect.stringMatching(sizeFix) },
      { line: 5, message: expect.stringMatching(size), fix: expect.stringMatching(sizeFix) },
      { line: 6, message: expect.stringMatching(size), fix: expect.stringMatching(sizeFix) },
      { line: 6, message: 'threads of source "c" must be at least 1', fix: 'use 1 or more' },
      { line: 7, message: expect.stringMatching(size), fix: expect.stringMatching(sizeFix) },
      { line: 7, message: 'threads of source "d" must be a number, not text', fix: expect.any(String) },
    ]);
  });

  it('keeps the resource keys off the other source types', () => {
    expect(() => sources(['  l: { type: sqlite, path: l.db, memory_limit: 1GB }'])).toThrow(
      /unknown key "memory_limit" in source "l"/,
    );
  });
});
