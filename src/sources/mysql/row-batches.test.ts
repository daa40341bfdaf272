import { describe, expect, it } from 'vitest';
import type { Row } from '../../core/values.js';
import { RowBatches } from './row-batches.js';

function flowLog() {
  const log: string[] = [];
  return { log, flow: { pause: () => log.push('pause'), resume: () => log.push('resume') } };
}

describe('RowBatches', () => {
  it('groups rows into full batches and a shorter last one', async () => {
    const { flow } = flowLog();
    const batches = new RowBatches(2, flow);
    for (let i = 0; i < 5; i++) batches.push({ i });
    batches.end();
    const out: Row[][] = [];
    for (let b = await batches.next(); b !== undefined; b = await batches.next()) out.push(b);
    expect(out.map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('pauses the producer while two batches wait, and resumes once one is taken', async () => {
    const { log, flow } = flowLog();
    const batches = new RowBatches(1, flow);
    batches.push({ i: 1 });
    expect(log).toEqual([]);
    batches.push({ i: 2 });
    expect(log).toEqual(['pause']);
    await batches.next();
    expect(log).toEqual(['pause', 'resume']);
  });

  it('wakes a waiting consumer, and throws the first failure, dropping what waited', async () => {
    const { flow } = flowLog();
    const batches = new RowBatches(1, flow);
    const waiting = batches.next();
    batches.push({ i: 1 });
    expect(await waiting).toEqual([{ i: 1 }]);
    batches.push({ i: 2 });
    batches.fail(new Error('first'));
    batches.fail(new Error('second'));
    batches.push({ i: 3 });
    await expect(batches.next()).rejects.toThrow('first');
    expect(batches.done).toBe(true);
  });
});
