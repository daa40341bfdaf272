import { isAbsolute } from 'node:path';

/** A parsed `type: jsonl-file` destination: the file every message is appended to. */
export interface JsonlFileDestinationConfig {
  type: 'jsonl-file';
  /** Absolute path of the file (created when missing, appended to otherwise). */
  path: string;
}

const KNOWN_KEYS = ['type', 'path'];

/** A problem in the entry, `path` relative to it (DestinationType.parseConfig). */
interface ConfigIssue {
  path: (string | number)[];
  message: string;
  fix?: string;
}

/**
 * Parses a `destinations.<name>` entry of `type: jsonl-file`. The path must be absolute: the type
 * is not told where the workspace is, and a path relative to wherever `sluice` was started would
 * write somewhere different on every machine.
 */
export function parseJsonlFileConfig(
  raw: Record<string, unknown>,
): { ok: true; config: JsonlFileDestinationConfig } | { ok: false; problems: ConfigIssue[] } {
  const problems: ConfigIssue[] = [];
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.includes(key)) {
      problems.push({
        path: [key],
        message: `unknown key "${key}" for a jsonl-file destination`,
        fix: `allowed keys: ${KNOWN_KEYS.join(', ')}`,
      });
    }
  }
  const path = raw.path;
  if (typeof path !== 'string' || !isAbsolute(path)) {
    problems.push({
      path: ['path'],
      message: path === undefined ? 'path is required' : 'path must be an absolute file path',
      fix: 'set path to an absolute file, e.g. path: /tmp/sluice-messages.jsonl',
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: Object.freeze({ type: 'jsonl-file', path: path as string }) };
}
