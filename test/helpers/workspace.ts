import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** A temp folder for one test file's workspace, removed by `cleanup`. */
export async function tempWorkspace(
  prefix = 'sluice-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeYaml(dir: string, text: string): Promise<void> {
  await writeFile(join(dir, 'sluice.yaml'), text);
}

/** Runs SQL against a DuckDB file and closes it again, so the sync under test can open it. */
export async function duckdb(path: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
