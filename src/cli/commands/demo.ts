import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { openWorkspace, type Sluice } from '../../index.js';
import { type Receiver, startReceiver } from '../../receiver/receiver.js';
import { writeDemoWorkspace } from '../init/demo-workspace.js';
import { formatCount, type Io } from '../output.js';
import { describeResult } from './sync-run.js';

/**
 * `npm start` / `sluice demo`: a fresh demo workspace, a local receiver in this process, every demo
 * sync run once, then the user sync again to show that only changes are sent.
 */
export async function demoCommand(dir: string, io: Io): Promise<number> {
  const target = resolve(dir);
  await rm(target, { recursive: true, force: true });
  const receiver = await startPreferredPort();
  const out = (line = '') => io.stdout.write(`${line}\n`);
  let sluice: Sluice | null = null;
  try {
    await writeDemoWorkspace(target, receiver.url);
    out(`Demo workspace: ${target} (a DuckDB warehouse of 500 users, 50 accounts, 2,000 events)`);
    out(`Local Segment-compatible receiver: ${receiver.url}`);
    out();
    sluice = await openWorkspace(target);
    const names = (await sluice.syncs()).map((sync) => sync.name);
    let failed = false;
    for (const name of names) {
      const result = await sluice.run(name);
      failed ||= result.status === 'failed';
      out(describeResult(result));
      out();
    }
    const stats = receiver.stats();
    out(
      `The receiver accepted ${formatCount(stats.accepted)} messages in ${formatCount(stats.batches)} batches; discarded ${formatCount(stats.discarded)}.`,
    );
    for (const type of ['identify', 'group', 'track']) {
      const example = receiver.messages().find((m) => m.type === type);
      if (example) out(`  a ${type} call as received: ${JSON.stringify(example)}`);
    }
    out();
    const again = await sluice.run('users-to-segment');
    out(
      `Ran users-to-segment again: ${again.counts.unchanged} unchanged, ${again.counts.planned} sent — only changes are ever sent.`,
    );
    out();
    const w = relative(process.cwd(), target) || '.';
    out('Look around:');
    out(`  npx sluice -w ${w} sync list`);
    out(`  npx sluice -w ${w} runs`);
    out(`  npx sluice -w ${w} records <RUN_ID> --limit 5`);
    out(`  npx sluice receiver --port ${receiver.port}   # then, in another terminal:`);
    out(`  npx sluice -w ${w} sync run users-to-segment --dry-run`);
    return failed || again.status === 'failed' ? 1 : 0;
  } finally {
    await sluice?.close();
    await receiver.close();
  }
}

/** Port 8787 (what `sluice init` and `sluice receiver` default to) when free, else any free port. */
async function startPreferredPort(): Promise<Receiver> {
  try {
    return await startReceiver({ port: 8787 });
  } catch {
    return await startReceiver({ port: 0 });
  }
}
