// Child processes of the benchmark: the receiver (one for the whole run) and one process per measured
// job, so each job's peak RSS, CPU time and CPU profile are its own.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** A request/answer over a child's IPC channel: the next message of `type`. */
function nextMessage(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code) => {
      child.off('message', onMessage);
      reject(new Error(`the receiver process exited (code ${code})`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Starts bench/receiver-process.mjs and returns `{ url, reset(), stats(), close() }`. `stats()`
 * adds the receiver's CPU time so far (`cpuMs`): a receiver near one full core is the ceiling.
 */
export async function startReceiverProcess() {
  const child = fork(here('./receiver-process.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url } = await nextMessage(child, 'ready');
  return {
    url,
    async reset() {
      const answer = nextMessage(child, 'reset');
      child.send({ type: 'reset' });
      await answer;
    },
    async stats() {
      const answer = nextMessage(child, 'stats');
      child.send({ type: 'stats' });
      const { stats, cpuMs, rss } = await answer;
      return { ...stats, cpuMs, rss };
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}

/**
 * The Node flags of the `sluice` command, read from the `#!/usr/bin/env -S node …` line of
 * bin/sluice.js, so that sync jobs run under the same V8 settings as `sluice sync run`.
 */
export function cliNodeFlags() {
  const shebang = readFileSync(here('../bin/sluice.js'), 'utf8').split('\n', 1)[0];
  const match = /^#!.*\bnode\b(.*)$/.exec(shebang);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * Runs `job` (see bench/job-process.mjs) with `args` in a fresh Node process; resolves with
 * `{ result, rssPeak, rssAnonPeak, rssFilePeak, heapPeak, cpuMs }`. `profileDir` adds `--cpu-prof` (the profile lands there, named
 * after `profileName`); `nodeFlags` go before the script (e.g. `cliNodeFlags()`). Past `timeoutMs` the process is killed and the promise rejects.
 */
export function runJob(job, args, { timeoutMs, profileDir, profileName, nodeFlags = [] } = {}) {
  const execArgv = [...nodeFlags];
  if (profileDir) {
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${profileName ?? job}.cpuprofile`,
    );
  }
  const child = fork(here('./job-process.mjs'), [], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let answer = null;
    const timer =
      timeoutMs === undefined
        ? null
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${job} did not finish within ${Math.round(timeoutMs / 1000)} s (killed)`));
          }, timeoutMs);
    child.once('message', (message) => {
      answer = message;
    });
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (answer?.ok) {
        const { result, rssPeak, rssAnonPeak, rssFilePeak, heapPeak, cpuMs } = answer;
        resolve({ result, rssPeak, rssAnonPeak, rssFilePeak, heapPeak, cpuMs });
      } else if (answer) reject(new Error(`${job} failed: ${answer.error}`));
      else reject(new Error(`${job} exited without an answer (code ${code}, signal ${signal})`));
    });
    child.send({ job, args });
  });
}
