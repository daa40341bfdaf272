/**
 * One DuckDB file, one instance per process (service-notes §7): DuckDB's file lock keeps other
 * processes out, but nothing stops this process from opening a READ_WRITE instance of a file that a
 * READ_ONLY instance of its own holds open. Readers (the sources' instances) share the gate; the
 * writeback writer takes it alone, after waiting for the readers to close theirs.
 */

interface FileUse {
  readers: number;
  writing: Promise<void> | undefined;
}

/** Per file path; kept for the process's life (one small entry per DuckDB file a workspace names). */
const uses = new Map<string, FileUse>();

function useOf(path: string): FileUse {
  let use = uses.get(path);
  if (use === undefined) {
    use = { readers: 0, writing: undefined };
    uses.set(path, use);
  }
  return use;
}

/** Enters as a reader, once no writer holds the file; answers how to leave (call it once). */
export async function enterAsReader(path: string): Promise<() => void> {
  const use = useOf(path);
  while (use.writing !== undefined) await use.writing;
  use.readers++;
  let left = false;
  return () => {
    if (left) return;
    left = true;
    use.readers--;
  };
}

/**
 * Enters as the only user of the file, once every reader has left; null when that did not happen
 * within `timeoutMs` (a run of another sync still reading the same file in this process).
 */
export async function enterAsWriter(path: string, timeoutMs: number): Promise<(() => void) | null> {
  const deadline = Date.now() + timeoutMs;
  const use = useOf(path);
  while (use.readers > 0 || use.writing !== undefined) {
    if (Date.now() >= deadline) return null;
    if (use.writing !== undefined) await Promise.race([use.writing, sleep(deadline - Date.now())]);
    else await sleep(25);
  }
  let done!: () => void;
  use.writing = new Promise<void>((resolve) => {
    done = resolve;
  });
  return () => {
    if (use.writing === undefined) return;
    use.writing = undefined;
    done();
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
