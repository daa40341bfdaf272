import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWorkspace } from '../../index.js';
import { demoWorkspaceYaml } from './demo-workspace.js';

describe('demoWorkspaceYaml', () => {
  // Random hex ids that YAML would read as numbers if written bare: all digits, or an exponent.
  it.each(['1234567890123456', '12345678e1234567', 'a1b2c3d4e5f60718'])(
    'keeps the workspace id %s as text',
    async (id) => {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-demo-id-'));
      try {
        await mkdir(join(dir, 'models'));
        await writeFile(join(dir, 'models', 'users.sql'), 'select 1 as id');
        await writeFile(join(dir, 'sluice.yaml'), demoWorkspaceYaml('http://127.0.0.1:8787', id));
        const sluice = await openWorkspace(dir);
        expect(sluice.workspace.workspaceId).toBe(id);
        await sluice.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
