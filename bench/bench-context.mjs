// What the scenarios share: the options, the receiver, the work folder, the figures so far, and
// `measure`, which runs one job in its own process against a freshly reset receiver and checks that
// the receiver got exactly what the job says it sent.
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cliNodeFlags, runJob } from './processes.mjs';
import { format, scenarioLine } from './report.mjs';
import { formatProfileSummary, summarizeProfile } from './summarize-profile.mjs';

export class BenchContext {
  /** Figures reported so far: `{ name, figures, details }`. */
  results = [];
  /** Median raw-client messages/s of this run (the ceiling), once measured. */
  rawRate = undefined;
  /** The initial scenario: `{ elapsedMs, rate, dir }` of the last initial run. */
  initial = undefined;
  /** The last raw-client run, and the last job measured. */
  lastRaw = undefined;
  #lastJob = undefined;

  constructor(options, receiver, workDir, profileDir) {
    this.options = options;
    this.receiver = receiver;
    this.workDir = workDir;
    this.profileDir = profileDir;
  }

  lastJobWasRaw() {
    return this.#lastJob === 'raw' && this.lastRaw !== undefined;
  }

  path(...parts) {
    return join(this.workDir, ...parts);
  }

  async dir(...parts) {
    const dir = this.path(...parts);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Prints a progress note (not a figure) to stderr, so stdout holds only the figures. */
  note(text) {
    process.stderr.write(`  · ${text}\n`);
  }

  /** Runs an unmeasured DuckDB job (building or changing data) and notes how long it took. */
  async duckdb(what, args, timeoutMs = this.options.timeoutMs) {
    const { result } = await runJob('duckdb', args, { timeoutMs });
    this.note(`${what}: ${format.seconds(result.elapsedMs)}`);
    return result;
  }

  /**
   * Runs `job` with `args` against a reset receiver. `sentOf(result)` says how many messages the
   * job reports as delivered; the receiver must have accepted exactly that many, none discarded.
   * With --profile, a job named in `profileName` writes a CPU profile that is summarised here.
   */
  async measure(job, args, { sentOf, profileName, timeoutMs = this.options.timeoutMs } = {}) {
    await this.receiver.reset();
    const before = await this.receiver.stats();
    const profiling = this.options.profile && profileName !== undefined;
    const run = await runJob(job, args, {
      timeoutMs,
      // A sync runs with the V8 flags of the `sluice` command itself.
      nodeFlags: job === 'sync' ? cliNodeFlags() : [],
      ...(profiling ? { profileDir: this.profileDir, profileName } : {}),
    });
    const after = await this.receiver.stats();
    const sent = sentOf ? sentOf(run.result) : 0;
    const notes = [];
    if (after.accepted !== sent)
      notes.push(`RECEIVER ACCEPTED ${format.int(after.accepted)}, NOT ${format.int(sent)}`);
    if (after.discarded > 0) notes.push(`RECEIVER DISCARDED ${format.int(after.discarded)}`);
    if (after.rejectedRequests > 0) notes.push(`RECEIVER REJECTED ${after.rejectedRequests} REQUESTS`);
    this.#lastJob = job;
    const measured = {
      ...run,
      sent,
      notes,
      receiverCpuMs: after.cpuMs - before.cpuMs,
      requests: after.requests,
    };
    if (profiling) {
      const file = join(this.profileDir, `${profileName}.cpuprofile`);
      measured.profile = { file, summary: await summarizeProfile(file) };
    }
    return measured;
  }

  /** Prints the summary of a measured job's CPU profile (with --profile) on stderr. */
  printProfile(name, measured) {
    if (!measured.profile) return;
    process.stderr.write(`\n--- CPU profile of ${name}: ${measured.profile.file}\n`);
    process.stderr.write(`${formatProfileSummary(measured.profile.summary)}\n\n`);
  }

  /** Records a scenario's figures and prints its one line on stdout. */
  report(name, figures, details = {}) {
    // The 1-minute load average: above the core count, other processes took part of the machine.
    figures.load = loadavg()[0];
    this.results.push({ name, figures, details });
    process.stdout.write(`${scenarioLine(name, figures)}\n`);
  }
}
