import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as driver from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../core/errors.js';
import { Secret, type SourceConfig } from '../core/workspace.js';
import { createSource } from './registry.js';
import { collectBatches } from './source-conformance.case.js';

let workspaceDir: string;

beforeAll(async () => {
  workspaceDir = await mkdtemp(join(tmpdir(), 'sluice-registry-'));
  await mkdir(join(workspaceDir, 'data'));
  await writeFile(join(workspaceDir, 'data', 'people.csv'), 'id,name\n2,Grace\n1,Ada\n');
  const instance = await driver.DuckDBInstance.create(join(workspaceDir, 'warehouse.duckdb'));
  const connection = await instance.connect();
  await connection.run("create table t as select 9007199254740993::bigint as id, 'x' as name");
  await connection.run(`copy t to '${join(workspaceDir, 'data', 't.parquet')}' (format parquet)`);
  connection.closeSync();
  instance.closeSync();
});

afterAll(async () => {
  await rm(workspaceDir, { recursive: true, force: true });
});

describe('createSource', () => {
  it('creates a DuckDB source over a database file', async () => {
    const source = await createSource(
      { type: 'duckdb', path: join(workspaceDir, 'warehouse.duckdb') },
      { name: 'warehouse', workspaceDir },
    );
    expect(source.type).toBe('duckdb');
    expect(source.capabilities.quoteIdentifier('a"b')).toBe('"a""b"');
    expect((await collectBatches(source, 'select * from t', 10)).flat()).toEqual([
      { id: '9007199254740993', name: 'x' },
    ]);
    await source.close();
  });

  it('opens nothing until used: a missing file fails check(), not createSource()', async () => {
    const source = await createSource(
      { type: 'duckdb', path: join(workspaceDir, 'nope.duckdb') },
      { name: 'warehouse', workspaceDir },
    );
    const error = (await source.check().catch((e: unknown) => e)) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('nope.duckdb does not exist');
    await source.close();
  });

  it('creates a files source reading paths relative to the workspace, wherever the process runs', async () => {
    expect(process.cwd()).not.toBe(workspaceDir);
    const source = await createSource({ type: 'files' }, { name: 'files', workspaceDir });
    expect(source.type).toBe('files');
    await source.check();
    const csv = await collectBatches(source, "select * from read_csv('data/people.csv') order by id", 10);
    expect(csv.flat()).toEqual([
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Grace' },
    ]);
    const parquet = await collectBatches(source, "select * from 'data/t.parquet'", 10);
    expect(parquet.flat()).toEqual([{ id: '9007199254740993', name: 'x' }]);
    await source.close();
  });

  it('reports a missing file in a files model as source_error', async () => {
    const source = await createSource({ type: 'files' }, { name: 'files', workspaceDir });
    const error = (await collectBatches(source, "select * from read_csv('data/absent.csv')", 10).catch(
      (e: unknown) => e,
    )) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain('source "files"');
    expect(error.message).toContain('data/absent.csv');
    await source.close();
  });

  it.each<SourceConfig>([
    { type: 'postgres', url: new Secret('postgres://app:pw-1234@127.0.0.1:1/db') },
    { type: 'mysql', url: new Secret('mysql://app:pw-1234@127.0.0.1:1/db') },
    { type: 'sqlite', path: 'absent.sqlite' },
  ])('creates a $type source that connects only when used', async (config) => {
    const source = await createSource(config, { name: 'app', workspaceDir });
    expect(source.type).toBe(config.type);
    const error = (await source.check().catch((e: unknown) => e)) as SluiceError;
    expect(error.code).toBe('source_error');
    expect(error.message).toContain(`source "app" (${config.type})`);
    expect(error.message).not.toContain('pw-1234');
    await source.close();
  });

  it('refuses a type it does not know with config_invalid', async () => {
    const config = { type: 'oracle' } as unknown as SourceConfig;
    const error = (await createSource(config, { name: 'app', workspaceDir }).catch(
      (e: unknown) => e,
    )) as SluiceError;
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('source "app": source type "oracle" is not supported');
  });
});
