// The `files` source (CSV, Parquet and JSON read through an in-memory DuckDB: this folder's DuckDBSource,
// created by sources/registry.ts) passes the same conformance suite as the databases, from files written
// from the same fixture.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSource } from '../registry.js';
import { describeSourceConformance } from '../source-conformance.case.js';
import { duckdbColumnTypes, writeFilesFixture } from '../source-conformance-databases.case.js';

async function filesSubject(relation: (dir: string) => string) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-files-'));
  await writeFilesFixture(dir);
  return {
    // Through the registry, as a workspace would create it; relative paths resolve against `dir`.
    source: await createSource({ type: 'files' }, { name: 'files', workspaceDir: dir }),
    engine: 'duckdb' as const,
    name: 'files',
    relation: relation(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

// CSV has no types: the model declares them, as a user would for ids beyond 2^53 and JSON columns;
// and keeps "" (an empty string) apart from an empty field (NULL) with allow_quoted_nulls = false.
describeSourceConformance('files (CSV)', () =>
  filesSubject(
    () =>
      `read_csv('users.csv', header = true, allow_quoted_nulls = false, columns = ${duckdbColumnTypes()})`,
  ),
);

describeSourceConformance('files (Parquet)', () => filesSubject(() => "read_parquet('users.parquet')"));

describeSourceConformance('files (JSON lines)', () =>
  filesSubject(
    () => `read_json('users.jsonl', format = 'newline_delimited', columns = ${duckdbColumnTypes()})`,
  ),
);
