import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./sluice-entry.ts', import.meta.url));

/** A `sluice serve` (or `worker`) process: its JSON log lines, its stdout, and how to reach it. */
export interface ServeProcess {
  child: ChildProcess;
  /** stderr's JSON lines as they arrive (a line that is not JSON: `{ event: 'text', line }`). */
  events: Record<string, unknown>[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name) once the process ends. */
  exited: Promise<number | string>;
}

/** Starts `sluice ARGS…` as its own process. */
export function startSluice(args: string[], env: NodeJS.ProcessEnv = {}): ServeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        events.push({ event: 'text', line });
      }
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, events, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Polls `find` every 100 ms until it answers something, or fails naming `what` after `ms`. */
export async function until<T>(
  find: () => T | undefined | Promise<T | undefined>,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `sluice serve` and waits until it listens: answers its base URL and the process. */
export async function startServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServeProcess & { url: string }> {
  const serve = startSluice([...args], env);
  const started = await Promise.race([
    until(() => serve.events.find((e) => e.event === 'serve_started'), 60_000, 'sluice serve listens'),
    serve.exited.then((code) => {
      throw new Error(`sluice serve exited (${code}) before listening:\n${serve.stderr()}`);
    }),
  ]);
  return { ...serve, url: String(started.url) };
}
