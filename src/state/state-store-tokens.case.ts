import { describe, expect, it } from 'vitest';
import type { StatePiece, StateStore } from './state-store.js';

const createdAt = '2026-12-01T09:00:00.000Z';
const hashOf = (name: string) => `${name.length.toString(16).padStart(2, '0')}${'ab'.repeat(31)}`;

/** Every piece of a store's export, page by page. */
async function exportAll(store: StateStore): Promise<StatePiece[]> {
  const pieces: StatePiece[] = [];
  let cursor: string | null = null;
  do {
    const page: { pieces: StatePiece[]; next: string | null } = await store.transfer.exportPage(cursor);
    pieces.push(...page.pieces);
    cursor = page.next;
  } while (cursor !== null);
  return pieces;
}

/** API tokens (`StateStore.tokens`, SPEC §6), run by describeStateStoreConformance. */
export function describeTokenConformance(openStore: () => Promise<StateStore>): void {
  describe('API tokens', () => {
    it('creates a token once per name, and lists every token by name on every connection', async () => {
      const store = await openStore();
      expect(await store.tokens.list()).toEqual([]);
      expect(await store.tokens.create({ name: 'ci', role: 'operator', hash: hashOf('ci'), createdAt })).toBe(
        true,
      );
      expect(
        await store.tokens.create({ name: 'admin-1', role: 'admin', hash: hashOf('admin-1'), createdAt }),
      ).toBe(true);
      // A second token of a name changes nothing.
      expect(
        await store.tokens.create({
          name: 'ci',
          role: 'admin',
          hash: 'ff'.repeat(32),
          createdAt: '2026-12-02T00:00:00.000Z',
        }),
      ).toBe(false);
      const expected = [
        { name: 'admin-1', role: 'admin', hash: hashOf('admin-1'), createdAt, lastUsedAt: null },
        { name: 'ci', role: 'operator', hash: hashOf('ci'), createdAt, lastUsedAt: null },
      ];
      expect(await store.tokens.list()).toEqual(expected);
      expect(await (await openStore()).tokens.list()).toEqual(expected);
    });

    it('records the last use, never moving it back, and ignores a token that is gone', async () => {
      const store = await openStore();
      await store.tokens.create({ name: 'grafana', role: 'viewer', hash: hashOf('grafana'), createdAt });
      await store.tokens.touch('grafana', '2026-12-01T10:00:00.000Z');
      expect((await store.tokens.list())[0]?.lastUsedAt).toBe('2026-12-01T10:00:00.000Z');
      // Another process that verified earlier but wrote later keeps the later time.
      await (await openStore()).tokens.touch('grafana', '2026-12-01T09:59:00.000Z');
      expect((await store.tokens.list())[0]?.lastUsedAt).toBe('2026-12-01T10:00:00.000Z');
      await store.tokens.touch('grafana', '2026-12-01T10:05:00.000Z');
      expect((await store.tokens.list())[0]?.lastUsedAt).toBe('2026-12-01T10:05:00.000Z');
      await store.tokens.touch('nobody', '2026-12-01T10:05:00.000Z');
      expect((await store.tokens.list()).map((t) => t.name)).toEqual(['grafana']);
    });

    it('revokes a token for every connection; its name can then be given again', async () => {
      const store = await openStore();
      const other = await openStore();
      await store.tokens.create({ name: 'old', role: 'admin', hash: hashOf('old'), createdAt });
      await store.tokens.create({ name: 'kept', role: 'viewer', hash: hashOf('kept'), createdAt });
      expect(await other.tokens.revoke('old')).toBe(true);
      expect(await store.tokens.revoke('old')).toBe(false);
      expect(await store.tokens.revoke('never-made')).toBe(false);
      expect((await store.tokens.list()).map((t) => t.name)).toEqual(['kept']);
      expect(
        await store.tokens.create({ name: 'old', role: 'viewer', hash: 'cd'.repeat(32), createdAt }),
      ).toBe(true);
      expect((await other.tokens.list()).find((t) => t.name === 'old')).toMatchObject({
        role: 'viewer',
        hash: 'cd'.repeat(32),
        lastUsedAt: null,
      });
    });

    it('moves tokens with the state: exported first, counted as state, cleared with it', async () => {
      const store = await openStore();
      expect(await store.transfer.isEmpty()).toBe(true);
      await store.tokens.create({ name: 'ci', role: 'operator', hash: hashOf('ci'), createdAt });
      await store.tokens.touch('ci', '2026-12-01T10:00:00.000Z');
      await store.tokens.create({ name: 'ui', role: 'viewer', hash: hashOf('ui'), createdAt });
      // A store holding only tokens is not empty: `sluice state migrate` would replace them.
      expect(await store.transfer.isEmpty()).toBe(false);
      const tokens = await store.tokens.list();
      const pieces = await exportAll(store);
      expect(pieces.slice(0, 2)).toEqual([
        { kind: 'workspace', workspaceId: await store.workspaceId() },
        { kind: 'tokens', tokens },
      ]);

      await store.transfer.clear();
      expect(await store.tokens.list()).toEqual([]);
      expect(await store.transfer.isEmpty()).toBe(true);
      await store.transfer.importPieces(pieces);
      expect(await (await openStore()).tokens.list()).toEqual(tokens);
    });
  });
}
