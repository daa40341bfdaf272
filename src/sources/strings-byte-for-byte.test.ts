// Strings byte for byte: every engine hands over exactly the characters it stores — a
// leading U+FEFF, NUL, combining and right-to-left marks, 4-byte characters — and what an engine
// cannot hold (lone surrogates, NUL in PostgreSQL) is pinned down here as the README documents it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as duckdbDriver from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../core/errors.js';
import { Secret, type SourceConfig } from '../core/workspace.js';
import { createSource } from './registry.js';
import type { Source } from './source.js';
import { collectBatches } from './source-conformance.case.js';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  type TestDatabase,
} from './source-conformance-databases.case.js';

/** Strings decoders like to touch, short (inlined in DuckDB's vectors) and long (behind a pointer). */
const STRINGS = [
  '\uFEFFbom-key',
  'bom-key',
  '\uFEFF',
  '\uFEFF\uFEFFtwo marks, and a string longer than twelve bytes',
  'e\u0301',
  'cafe\u0301 with a combining accent, long enough to live behind a pointer',
  '\u200Frtl mark \u202Eoverride\u202C',
  '👩‍💻 zwj',
  '𝄞𠀀 four bytes each',
  'ends with a BOM\uFEFF',
  ' leading and trailing spaces ',
];
/** NUL: every engine but PostgreSQL stores it inside text. */
const NUL = 'nul\u0000inside';

let dir: string;
const dbs: TestDatabase[] = [];
const sources: Source[] = [];

async function open(config: SourceConfig): Promise<Source> {
  const source = await createSource(config, { name: 'w', workspaceDir: dir });
  sources.push(source);
  return source;
}

async function strings(source: Source, sql: string): Promise<unknown[]> {
  return (await collectBatches(source, sql, 100)).flat().map((row) => row.s);
}

const withNul = [...STRINGS, NUL];
const literal = (s: string, nul: string) => `'${s.replaceAll("'", "''").replace('\u0000', nul)}'`;

let pg: TestDatabase;
let my: TestDatabase;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-strings-'));
  const instance = await duckdbDriver.DuckDBInstance.create(join(dir, 'w.duckdb'));
  const connection = await instance.connect();
  const rows = withNul.map((s, i) => `(${i}, ${literal(s, "' || chr(0) || '")})`).join(', ');
  await connection.run(`create table t (i integer, s varchar); insert into t values ${rows};
    copy t to '${join(dir, 't.parquet')}' (format parquet)`);
  connection.closeSync();
  instance.closeSync();

  const lite = new Database(join(dir, 'w.sqlite'));
  lite.exec('create table t (i integer, s text)');
  const insert = lite.prepare('insert into t values (?, ?)');
  for (const [i, s] of withNul.entries()) insert.run(i, s);
  lite.exec("insert into t values (100, cast(x'eda080' as text))");
  lite.close();

  pg = await createPostgresDatabase('sluice_strings_pg');
  dbs.push(pg);
  await pg.query('create table t (i integer, s text)');
  for (const [i, s] of STRINGS.entries()) await pg.query('insert into t values ($1, $2)', [i, s]);

  my = await createMysqlDatabase('sluice_strings_my');
  dbs.push(my);
  await my.query('create table t (i integer, s text character set utf8mb4 collate utf8mb4_bin)');
  for (const [i, s] of withNul.entries()) await my.query('insert into t values (?, ?)', [i, s]);
  // MariaDB takes bytes that are no UTF-8 (here a lone surrogate's CESU-8 form) into utf8mb4 text.
  await my.query("insert into t values (100, _binary x'eda080')");
}, 60_000);

afterAll(async () => {
  for (const source of sources) await source.close();
  for (const db of dbs) await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('strings byte for byte', () => {
  it('duckdb', async () => {
    const source = await open({ type: 'duckdb', path: join(dir, 'w.duckdb') });
    expect(await strings(source, 'select s from t order by i')).toStrictEqual(withNul);
    // Nested strings come from the driver's own decoder, made to keep the BOM too.
    const [nested] = (await collectBatches(source, 'select list(s order by i) as s from t', 10)).flat();
    expect(nested?.s).toStrictEqual(withNul);
  });

  it('files (Parquet through DuckDB)', async () => {
    const source = await open({ type: 'files' });
    expect(await strings(source, `select s from read_parquet('t.parquet') order by i`)).toStrictEqual(
      withNul,
    );
  });

  it('postgres (no NUL in text)', async () => {
    const source = await open({ type: 'postgres', url: new Secret(pg.url) });
    expect(await strings(source, 'select s from t order by i')).toStrictEqual(STRINGS);
  });

  it('mysql', async () => {
    const source = await open({ type: 'mysql', url: new Secret(my.url) });
    expect(await strings(source, 'select s from t where i < 100 order by i')).toStrictEqual(withNul);
  });

  it('sqlite', async () => {
    const source = await open({ type: 'sqlite', path: join(dir, 'w.sqlite') });
    expect(await strings(source, 'select s from t where i < 100 order by i')).toStrictEqual(withNul);
  });
});

describe('lone surrogates: no engine hands one over', () => {
  it('duckdb refuses text that is not UTF-8', async () => {
    const source = await open({ type: 'duckdb', path: join(dir, 'w.duckdb') });
    const error = (await collectBatches(source, "select decode('\\xED\\xA0\\x80'::blob) as s", 10).catch(
      (e: unknown) => e,
    )) as SluiceError;
    expect(error.code).toBe('source_error');
  });

  it('postgres refuses the code point', async () => {
    const source = await open({ type: 'postgres', url: new Secret(pg.url) });
    const error = (await collectBatches(source, 'select chr(55296) as s', 10).catch(
      (e: unknown) => e,
    )) as SluiceError;
    expect(error.message).toContain('not valid for encoding');
  });

  it.each(['sqlite', 'mysql'])(
    '%s stores the bytes; its driver decodes each invalid byte as U+FFFD',
    async (engine) => {
      const source =
        engine === 'sqlite'
          ? await open({ type: 'sqlite', path: join(dir, 'w.sqlite') })
          : await open({ type: 'mysql', url: new Secret(my.url) });
      expect(await strings(source, 'select s from t where i = 100')).toStrictEqual(['\uFFFD\uFFFD\uFFFD']);
    },
  );
});
