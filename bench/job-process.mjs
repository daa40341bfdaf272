// One measured job in a process of its own, so its peak RSS and CPU are its own (and a --cpu-prof
// profile holds nothing else). bench/run.mjs forks this with an IPC channel, sends
// {job, args}, and gets back {ok, result, rssPeak, cpuMs} or {ok:false, error}.
import { readFileSync } from 'node:fs';

const JOBS = {
  raw: () => import('./jobs/raw-client.mjs').then((m) => m.runRawClient),
  'analytics-node': () => import('./jobs/analytics-node-client.mjs').then((m) => m.runAnalyticsNode),
  sync: () => import('./jobs/sync-job.mjs').then((m) => m.runSyncJob),
  duckdb: () => import('./jobs/duckdb-job.mjs').then((m) => m.runDuckdbJob),
  'source-read': () => import('./jobs/duckdb-job.mjs').then((m) => m.runSourceRead),
};

/**
 * Resident memory from /proc/self/status, in bytes: `hwm` (VmHWM, the kernel's own peak of the
 * whole resident set), `anon` (RssAnon: heap, native allocations) and `file` (RssFile: mapped files,
 * e.g. SQLite's mmap of the state file, which the kernel may drop at will). Empty off Linux.
 */
function memoryStatus() {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { hwm: 0, anon: 0, file: 0 };
  }
}

const peak = { rss: process.memoryUsage.rss(), anon: 0, file: 0, heap: 0 };
function sample() {
  const usage = process.memoryUsage();
  peak.rss = Math.max(peak.rss, usage.rss);
  // V8's heap as reserved (young and old generations): the JS share of the resident set.
  peak.heap = Math.max(peak.heap, usage.heapTotal);
  const { anon, file } = memoryStatus();
  peak.anon = Math.max(peak.anon, anon);
  peak.file = Math.max(peak.file, file);
}
// Sampling adds the anonymous/file split VmHWM lacks; unref'd so it never keeps the process alive.
setInterval(sample, 100).unref();

process.once('message', async ({ job, args }) => {
  try {
    const run = await JOBS[job]?.();
    if (run === undefined) throw new Error(`unknown job ${job}`);
    const cpuBefore = process.cpuUsage();
    const result = await run(args);
    const cpu = process.cpuUsage(cpuBefore);
    sample();
    process.send(
      {
        ok: true,
        result,
        rssPeak: Math.max(peak.rss, memoryStatus().hwm),
        rssAnonPeak: peak.anon,
        rssFilePeak: peak.file,
        heapPeak: peak.heap,
        cpuMs: (cpu.user + cpu.system) / 1000,
      },
      // Exit once the result is out: open handles (pools, timers) must not hold the process.
      () => process.exit(0),
    );
  } catch (error) {
    process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.exit(1));
  }
});
