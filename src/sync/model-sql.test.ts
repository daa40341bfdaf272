import { describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import type { ModelConfig } from '../core/workspace.js';
import { locateModelError, modelErrorProblem, modelLinesIn } from './model-sql.js';

const fromFile: ModelConfig = {
  source: 'w',
  sql: 'select 1',
  origin: { file: 'models/orders.sql', line: 1, inline: false },
};
const inline: ModelConfig = {
  source: 'w',
  sql: 'select 1',
  origin: { file: 'sluice.yaml', line: 17, inline: true },
};
const placed = new SluiceError('source_error', 'source "w" (duckdb) could not run the query: boom', {
  details: { source: 'w', modelLine: 4 },
});
const unplaced = new SluiceError(
  'source_error',
  'source "w" (sqlite) could not run the query: no such table: x',
);

describe("where an error in a model's SQL is, in the user's files", () => {
  it('names the model file and the line for a model from file:', () => {
    expect(modelErrorProblem('orders', fromFile, placed)).toEqual({
      file: 'models/orders.sql',
      line: 4,
      message: 'model "orders": source "w" (duckdb) could not run the query: boom',
    });
    expect((locateModelError(fromFile.origin, placed) as Error).message).toBe(
      'models/orders.sql:4: source "w" (duckdb) could not run the query: boom',
    );
  });

  it("names sluice.yaml's sql: line and the line within the SQL for a model written there", () => {
    expect(modelErrorProblem('users', inline, placed)).toEqual({
      file: 'sluice.yaml',
      line: 17,
      message: 'model "users", line 4 of its SQL: source "w" (duckdb) could not run the query: boom',
    });
    expect((locateModelError(inline.origin, placed) as Error).message).toBe(
      'sluice.yaml:17 (line 4 of the model\'s SQL): source "w" (duckdb) could not run the query: boom',
    );
  });

  it('leaves an error without a line as it is, naming only the file', () => {
    expect(locateModelError(fromFile.origin, unplaced)).toBe(unplaced);
    expect(modelErrorProblem('x', fromFile, unplaced)).toMatchObject({ file: 'models/orders.sql', line: 0 });
  });

  it('finds the model after a wrapper prefix', () => {
    expect(modelLinesIn('select * from (\n', 'select 1,\n 2')).toEqual({ first: 2, count: 2 });
    expect(modelLinesIn('', 'select 1')).toEqual({ first: 1, count: 1 });
  });
});
