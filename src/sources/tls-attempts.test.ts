import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceError } from '../core/errors.js';
import { tlsAttempts } from './tls-attempts.js';

let dir: string;
const context = () => ({ sourceName: 'app', engine: 'postgres', baseDir: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-tls-'));
  await writeFile(join(dir, 'ca.pem'), 'CA PEM');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tlsAttempts', () => {
  it('follows libpq: prefer by default, allow and prefer as two attempts', async () => {
    expect(await tlsAttempts({}, context())).toEqual([{ verify: 'none' }, false]);
    expect(await tlsAttempts({ sslmode: 'disable' }, context())).toEqual([false]);
    expect(await tlsAttempts({ sslmode: 'allow' }, context())).toEqual([false, { verify: 'none' }]);
    expect(await tlsAttempts({ sslmode: 'require' }, context())).toEqual([{ verify: 'none' }]);
  });

  it('verifies the chain (and host name) with the root certificate, read relative to the workspace', async () => {
    expect(await tlsAttempts({ sslmode: 'verify-full', sslrootcert: 'ca.pem' }, context())).toEqual([
      { verify: 'full', ca: 'CA PEM' },
    ]);
    expect(await tlsAttempts({ sslmode: 'verify-ca', sslrootcert: join(dir, 'ca.pem') }, context())).toEqual([
      { verify: 'ca', ca: 'CA PEM' },
    ]);
    // libpq: require with a root certificate verifies the chain.
    expect(await tlsAttempts({ sslmode: 'require', sslrootcert: 'ca.pem' }, context())).toEqual([
      { verify: 'ca', ca: 'CA PEM' },
    ]);
  });

  it('names an unreadable file and an unknown mode', async () => {
    const missing = (await tlsAttempts({ sslmode: 'verify-full', sslcert: 'client.pem' }, context()).catch(
      (e: unknown) => e,
    )) as SluiceError;
    expect(missing.code).toBe('source_error');
    expect(missing.message).toContain(
      `source "app" (postgres) could not read sslcert ${join(dir, 'client.pem')}: ENOENT`,
    );
    const mode = (await tlsAttempts({ sslmode: 'always' }, context()).catch(
      (e: unknown) => e,
    )) as SluiceError;
    expect(mode.code).toBe('config_invalid');
    expect(mode.message).toContain('sslmode "always" is not one of disable, allow, prefer');
  });
});
