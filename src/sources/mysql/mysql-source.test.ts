import { randomBytes } from 'node:crypto';
import * as mysql from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../../core/errors.js';
import { Secret } from '../../core/workspace.js';
import { collectBatches, describeSourceConformance } from '../source-conformance.case.js';
import {
  createMysqlDatabase,
  type TestDatabase,
  writeMysqlFixture,
} from '../source-conformance-databases.case.js';
import type { MysqlSettings } from './mysql-config.js';
import { MysqlSource } from './mysql-source.js';

const PASSWORD = 'My-Secret-Passw0rd';
const USER = `sluice_pw_${randomBytes(4).toString('hex')}`;

let db: TestDatabase;

function urlWith(extra = '', host = '127.0.0.1:3306', credentials = 'root'): string {
  return `mysql://${credentials}@${host}/${db.name}${extra}`;
}

function open(settings: Partial<MysqlSettings> = {}, url = urlWith()): MysqlSource {
  return new MysqlSource(mysql, { url: new Secret(url), ...settings }, { name: 'crm', workspaceDir: '/' });
}

async function failure(promise: Promise<unknown>): Promise<SluiceError> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as SluiceError;
  expect(error, 'expected a failure').toBeDefined();
  expect(error.message).not.toContain(PASSWORD);
  expect(JSON.stringify(error.details)).not.toContain(PASSWORD);
  return error;
}

beforeAll(async () => {
  db = await createMysqlDatabase();
  await writeMysqlFixture(db);
  await db.query('CREATE TABLE digits (d INT)');
  await db.query('INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
  for (const host of ['127.0.0.1', 'localhost']) {
    await db.query(`CREATE USER '${USER}'@'${host}' IDENTIFIED BY 'the-right-one'`);
  }
});

afterAll(async () => {
  for (const host of ['127.0.0.1', 'localhost']) {
    await db?.query(`DROP USER IF EXISTS '${USER}'@'${host}'`).catch(() => undefined);
  }
  await db?.drop();
});

describeSourceConformance('mysql', async () => ({ source: open(), engine: 'mysql', name: 'crm' }));

describe('MysqlSource values', () => {
  it('reads MySQL/MariaDB types into the shared value model', async () => {
    await db.query(
      `CREATE TABLE kinds (flag BOOLEAN, tiny TINYINT, ubig BIGINT UNSIGNED, wide DECIMAL(30,10), f FLOAT, d DOUBLE,
        zero_date DATE, ts TIMESTAMP(3) NULL, ts6 TIMESTAMP(6) NULL, dt6 DATETIME(6), dur TIME(3), long_dur TIME, b1 BIT(1), b3 BIT(3), bin VARBINARY(8),
        feeling ENUM('sad','happy'), tagset SET('a','b','c'), yr YEAR, doc JSON)`,
    );
    await db.query("SET SESSION sql_mode = ''");
    // The test connection writes the TIMESTAMP at +02:00: the source must read the instant in UTC.
    await db.query("SET SESSION time_zone = '+02:00'");
    await db.query(
      `INSERT INTO kinds VALUES (TRUE, 5, 18446744073709551615, 12345678901234567890.0123456789, 0.1, 0.1,
        '0000-00-00', '2024-01-02 05:04:05.678', '2024-01-02 05:04:05.000100', '2024-01-02 03:04:05.678901', '-12:00:00.5', '838:59:59', b'1', b'101', x'00ff10',
        'happy', 'a,c', 2024, '{"big": 9007199254740993, "list": [1, "two"]}')`,
    );
    const source = open();
    const [row] = (
      await collectBatches(
        source,
        `SELECT k.*, 1 = 1 AS computed, JSON_OBJECT('x', 1) AS made, JSON_EXTRACT(doc, '$.big') AS picked,
           CAST(9007199254740993 AS SIGNED) AS big, 'Zoë 🦆' AS uni FROM kinds k`,
        10,
      )
    ).flat();
    expect(row).toEqual({
      flag: true,
      tiny: 5,
      ubig: '18446744073709551615',
      wide: '12345678901234567890.0123456789',
      f: 0.1,
      d: 0.1,
      zero_date: null,
      ts: '2024-01-02T03:04:05.678Z',
      ts6: '2024-01-02T03:04:05.0001Z',
      dt6: '2024-01-02T03:04:05.678901Z',
      dur: '-12:00:00.500',
      long_dur: '838:59:59',
      b1: true,
      b3: '101',
      bin: Buffer.from([0, 255, 16]).toString('base64'),
      feeling: 'happy',
      tagset: 'a,c',
      yr: 2024,
      doc: { big: '9007199254740993', list: [1, 'two'] },
      // MySQL has no boolean type: a computed comparison is the number 1 (see the README).
      computed: 1,
      made: { x: 1 },
      picked: '9007199254740993',
      big: '9007199254740993',
      uni: 'Zoë 🦆',
    });
    await source.close();
  });

  it('streams a large result in bounded batches, pausing the socket so the server waits', async () => {
    const source = open();
    let rows = 0;
    let last: unknown;
    const heapAtStart = process.memoryUsage().heapUsed;
    let heapPeak = 0;
    // 200,000 rows of ~270 bytes: ~55 MB on the wire, far more than socket buffers hold.
    const sql = `SELECT /* sluice-backpressure */ a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n,
        REPEAT(MD5(a.d), 8) AS h
      FROM digits a, digits b, digits c, digits e, digits f, (SELECT d FROM digits WHERE d < 2) g ORDER BY n`;
    for await (const batch of source.stream(sql, { batchSize: 5000 })) {
      expect(batch.length).toBe(5000);
      rows += batch.length;
      last = batch.at(-1)?.n;
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      if (rows === 5000) {
        // A consumer that stops for a while: the server must be left waiting, not drained into memory.
        await new Promise((resolve) => setTimeout(resolve, 400));
        const running = await db.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT /* sluice-backpressure */%'",
        );
        expect(running).toEqual([{ n: '1' }]);
      }
    }
    expect({ rows, last }).toEqual({ rows: 200_000, last: 199_999 });
    expect(heapPeak - heapAtStart).toBeLessThan(25 * 1024 * 1024);
    await source.close();
  });

  it('runs models read-only: a write fails and changes nothing', async () => {
    const source = open();
    const error = await failure(collectBatches(source, "UPDATE users SET name = 'x'", 10));
    expect(error.code).toBe('source_error');
    expect(error.message).toMatch(/READ ONLY|read-only/i);
    expect(await db.query("SELECT COUNT(*) AS n FROM users WHERE name = 'x'")).toEqual([{ n: '0' }]);
    await source.close();
  });
});

describe('MysqlSource failures', () => {
  it('names an unreachable host, and what to check', async () => {
    const source = open({}, urlWith('', '127.0.0.1:1', `root:${PASSWORD}`));
    const error = await failure(source.check());
    expect(error.code).toBe('source_error');
    expect(error.message).toContain(`source "crm" (mysql) could not connect to root@127.0.0.1:1/${db.name}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('check the host and port');
    await source.close();
  });

  it('names a wrong password without showing it', async () => {
    const source = open({}, urlWith('', '127.0.0.1:3306', `${USER}:${PASSWORD}`));
    const error = await failure(collectBatches(source, 'SELECT 1', 10));
    expect(error.code).toBe('source_error');
    expect(error.message).toContain(`Access denied for user '${USER}'`);
    expect(error.message).toContain('check the user and password in the url');
    await source.close();
  });

  it('names a database that does not exist', async () => {
    const source = open({}, 'mysql://root@127.0.0.1:3306/no_such_db_for_sluice');
    const error = await failure(source.check());
    expect(error.message).toContain("Unknown database 'no_such_db_for_sluice'");
    expect(error.message).toContain('check the database name in the url');
    await source.close();
  });

  it('says what a bare ? in the model means (models run as prepared statements)', async () => {
    const source = open();
    const error = await failure(collectBatches(source, 'SELECT ? AS v', 10));
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('mysqld_stmt_execute');
    expect(error.message).toContain('has a ? outside a string or comment');
    await source.close();
  });

  it('stops a query at statement_timeout and says which setting to raise', async () => {
    const source = open({ statementTimeoutMs: 200 });
    const started = Date.now();
    const error = await failure(collectBatches(source, 'SELECT SLEEP(5) AS slept', 10));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('statement timeout');
    expect(error.message).toContain('raise statement_timeout for this source');
    await source.close();
  });

  it('refuses sslmode=require against a server without TLS, and falls back under prefer', async () => {
    const required = open({ sslmode: 'require' });
    const error = await failure(required.check());
    expect(error.message).toContain('sslmode');
    await required.close();
    const preferred = open({}, urlWith('?sslmode=prefer&connect_timeout=5'));
    await expect(preferred.check()).resolves.toBeUndefined();
    await preferred.close();
  });

  it('kills a long query on the server when the signal aborts', async () => {
    const source = open();
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(collectBatches(source, 'SELECT SLEEP(30) AS slept', 10, controller.signal));
    expect(error.code).toBe('interrupted');
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const running = await db.query(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'",
    );
    expect(running).toEqual([{ n: '0' }]);
    await source.close();
  });

  it('ends a running stream with source_error when the source is closed', async () => {
    const source = open();
    const run = failure(collectBatches(source, 'SELECT SLEEP(30) AS slept', 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await source.close();
    const error = await run;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('source "crm" (mysql) is closed');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
