// A PostgreSQL url that points at a port where something else listens (the MariaDB port, an HTTP
// server) says so, instead of advising on sslmode: pg reports it as TLS or protocol trouble.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../../core/errors.js';
import { Secret } from '../../core/workspace.js';
import { judge } from './postgres-probe.js';
import { PostgresSource } from './postgres-source.js';

const driver = { Client: pg.Client, Cursor, copyFrom };
let http: Server;
let httpPort: number;

beforeAll(async () => {
  http = createServer((_request, response) => response.end('hello'));
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((done) => http.close(done));
});

async function checkFails(url: string): Promise<SluiceError> {
  const source = new PostgresSource(driver, { url: new Secret(url) }, { name: 'app', workspaceDir: '/' });
  try {
    const error = await source.check().then(
      () => undefined,
      (e: unknown) => e as SluiceError,
    );
    expect(error, 'expected check() to fail').toBeDefined();
    return error!;
  } finally {
    await source.close();
  }
}

describe('a postgres url pointing at another server', () => {
  it.each(['', '?sslmode=disable', '?sslmode=require'])(
    'the MariaDB port%s: "not PostgreSQL", no TLS advice',
    async (query) => {
      const error = await checkFails(`postgres://postgres@127.0.0.1:3306/test${query}`);
      expect(error.code).toBe('source_error');
      expect(error.message).toContain(
        'source "app" (postgres) could not connect to postgres@127.0.0.1:3306/test: something answered on 127.0.0.1:3306 but it is not PostgreSQL (it looks like MariaDB)',
      );
      expect(error.message).toContain('check the host and port in the url');
      expect(error.message).not.toMatch(/sslmode|sslrootcert|TLS/);
    },
  );

  it.each(['', '?sslmode=disable'])('an HTTP server%s: "not PostgreSQL"', async (query) => {
    const error = await checkFails(`postgres://postgres@127.0.0.1:${httpPort}/test${query}`);
    expect(error.message).toContain(
      `something answered on 127.0.0.1:${httpPort} but it is not PostgreSQL (it looks like an HTTP server)`,
    );
    expect(error.message).not.toMatch(/sslmode|sslrootcert/);
  });

  it('a real PostgreSQL that refuses the database is still reported as such', async () => {
    const error = await checkFails('postgres://postgres@127.0.0.1:5432/sluice_no_such_database');
    expect(error.message).toContain('sluice_no_such_database');
    expect(error.message).toContain('check the database name in the url');
    expect(error.message).not.toContain('not PostgreSQL');
  });

  it('a closed port is refused, not judged', async () => {
    const error = await checkFails('postgres://postgres@127.0.0.1:1/test');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('not PostgreSQL');
  });
});

describe('judging the first answer', () => {
  it("takes PostgreSQL's one-byte answer to SSLRequest for PostgreSQL, and nothing else", () => {
    expect(judge(Buffer.from('S'))).toEqual({ kind: 'postgres' });
    expect(judge(Buffer.from('N'))).toEqual({ kind: 'postgres' });
    expect(judge(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'))).toEqual({
      kind: 'other',
      looksLike: 'an SSH server',
    });
    expect(judge(Buffer.from('NOT A SERVER'))).toEqual({ kind: 'other' });
    const mysql = Buffer.concat([Buffer.from([0x4a, 0, 0, 0, 0x0a]), Buffer.from('8.0.36\0')]);
    expect(judge(mysql)).toEqual({ kind: 'other', looksLike: 'MySQL' });
  });
});
