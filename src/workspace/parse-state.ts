import { Secret, type Workspace } from '../core/workspace.js';
import { localPath } from './parse-sources.js';
import { type Problems, where } from './problems.js';

/** Where run state lives when sluice.yaml says nothing (SPEC §1). */
export const DEFAULT_STATE = 'sqlite:.sluice/state.db';

/** Validates `state:`: `sqlite:PATH` (relative to the workspace) or a `postgres://` URL (a Secret). */
export function parseState(p: Problems, raw: unknown, dir: string): Workspace['state'] | undefined {
  const value = raw === undefined || raw === null ? DEFAULT_STATE : raw;
  const fix = `write sqlite:PATH (default ${DEFAULT_STATE}) or postgres://USER:PASSWORD@HOST:5432/DB`;
  if (typeof value !== 'string') {
    p.add(['state'], `${where(['state'])} must be text`, fix);
    return undefined;
  }
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length);
    if (file === '') {
      p.add(['state'], 'state "sqlite:" has no path', fix);
      return undefined;
    }
    return { kind: 'sqlite', path: localPath(dir, file) };
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === 'postgres:' || protocol === 'postgresql:')
    return { kind: 'postgres', url: new Secret(value) };
  // Not echoed: a mistyped connection string still carries its password.
  p.add(
    ['state'],
    'state is neither sqlite:PATH nor a postgres:// URL (not shown: it may hold a password)',
    fix,
  );
  return undefined;
}
