// `npm run bench -- [SCENARIO…] [--rows N] …`: Sluice's throughput against the compiled code in
// dist/, each scenario in its own process, against one local receiver in a process of its own.
// See bench/README.md for what each figure means.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchContext } from './bench-context.mjs';
import { parseBenchOptions } from './bench-options.mjs';
import { cliNodeFlags, startReceiverProcess } from './processes.mjs';
import { format, resultsTable } from './report.mjs';
import * as scenarios from './scenarios.mjs';

let options;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${options.help}\n`);
  process.exit(0);
}
if (!existsSync(fileURLToPath(new URL('../dist/sync/run-sync.js', import.meta.url)))) {
  process.stderr.write('dist/ is missing: run `npm run build` first (`npm run bench` does)\n');
  process.exit(2);
}

/** The code under test: dist/ is built from the working tree, which may differ from HEAD. */
function commitOfTree() {
  try {
    const git = (...args) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted src changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

const workDir = options.workDir ? resolve(options.workDir) : await mkdtemp(join(tmpdir(), 'sluice-bench-'));
await mkdir(workDir, { recursive: true });
// Profiles outlive a temporary work folder: they are what the run was for.
const profileDir = options.profile ? await mkdtemp(join(tmpdir(), 'sluice-bench-profiles-')) : undefined;
const receiver = await startReceiverProcess();
const ctx = new BenchContext(options, receiver, workDir, profileDir);

process.stdout.write(
  `sluice bench ${new Date().toISOString()}  commit ${commitOfTree()}  node ${process.version}  ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}  ${format.mb(totalmem())}\n` +
    `scenarios: ${options.scenarios.join(' ')}  rows ${format.int(options.rows)}  events ${format.int(options.events)}  large ${format.int(options.largeRows)}  repeat ${options.repeat}\n` +
    `DuckDB memory_limit ${options.duckdbMemoryLimit ?? 'default'} (large ${options.largeMemoryLimit ?? 'default'})\n` +
    `syncs run with: node ${cliNodeFlags().join(' ')} (bin/sluice.js)\n` +
    `receiver ${receiver.url} (own process)  work ${workDir}${profileDir ? `  profiles ${profileDir}` : ''}\n`,
);

const selected = new Set(options.scenarios);
let failed = false;
async function step(name, fn) {
  try {
    await fn();
  } catch (error) {
    failed = true;
    process.stdout.write(`${name.padEnd(24)}  FAILED: ${error.message.split('\n')[0]}\n`);
    process.stderr.write(`${error.stack ?? error}\n`);
    ctx.results.push({ name, figures: null, details: { error: error.message } });
  }
}

try {
  if (selected.has('raw') || selected.has('initial')) {
    await step('raw/initial', () =>
      scenarios.rawAndInitial(ctx, { raw: selected.has('raw'), initial: selected.has('initial') }),
    );
  }
  if (selected.has('read')) await step('read', () => scenarios.read(ctx));
  if (selected.has('incremental')) await step('incremental', () => scenarios.incremental(ctx));
  if (selected.has('events')) await step('events', () => scenarios.events(ctx));
  if (selected.has('analytics-node')) await step('analytics-node', () => scenarios.analyticsNode(ctx));
  if (selected.has('large')) await step('large', () => scenarios.large(ctx));
  if (selected.has('cursor')) await step('cursor', () => scenarios.cursor(ctx));
  if (selected.has('postgres')) {
    await step('postgres initial', () => scenarios.postgresInitial(ctx));
    await step('postgres', () => scenarios.postgres(ctx));
  }
  if (selected.has('postgres-state')) await step('postgres state', () => scenarios.postgresState(ctx));
} finally {
  await receiver.close();
  const measured = ctx.results.filter((r) => r.figures !== null);
  if (measured.length > 0) process.stdout.write(`\n${resultsTable(measured)}\n`);
  if (options.json) await scenarios.writeJson(ctx, options.json);
  if (!options.workDir && !options.keep) await rm(workDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
