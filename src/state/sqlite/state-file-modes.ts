import { chmod, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The state folder: its owner only (SPEC §3: the state holds customer data, messages as sent). */
export const STATE_DIR_MODE = 0o700;
/** The state files: the database and its -wal and -shm companions. */
export const STATE_FILE_MODE = 0o600;

/**
 * Makes the state file's folders (0700, only those it creates: a folder the user already has, such
 * as the workspace itself, keeps its mode) and the file itself (0600) before SQLite opens it.
 * SQLite creates the -wal and -shm files with the mode of the database file, so they follow. A
 * state file made by an older Sluice with wider modes is narrowed to 0600, its companions too.
 */
export async function prepareStateFile(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: STATE_DIR_MODE });
  try {
    // An empty file is an empty SQLite database; 'wx' so a file another process just made is kept.
    const handle = await open(file, 'wx', STATE_FILE_MODE);
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) await narrow(path);
}

async function narrow(path: string): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & ~STATE_FILE_MODE) === 0) return;
  // Only the owner may chmod: a shared state file owned by someone else keeps its modes.
  await chmod(path, STATE_FILE_MODE).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPERM') throw error;
  });
}
