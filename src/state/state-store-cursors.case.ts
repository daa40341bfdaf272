import { describe, expect, it } from 'vitest';
import type { StatePiece, StateStore } from './state-store.js';

/** Event cursors' high-water marks (`ledger.cursorMark`), run by describeStateStoreConformance. */
export function describeCursorMarkConformance(openStore: () => Promise<StateStore>): void {
  describe('event cursor marks', () => {
    it('keeps one mark per sync, replaced by the next, seen from every connection', async () => {
      const store = await openStore();
      expect(await store.ledger.cursorMark('events')).toBeNull();
      await store.ledger.saveCursorMark('events', {
        column: 'occurred_at',
        mark: '2026-01-01T10:00:00.000Z',
      });
      await store.ledger.saveCursorMark('clicks', { column: 'clicked_at', mark: '2026-02-01T00:00:00.000Z' });
      await store.ledger.saveCursorMark('events', {
        column: 'occurred_at',
        mark: '2026-01-02T08:30:00.500Z',
      });
      const other = await openStore();
      expect(await other.ledger.cursorMark('events')).toEqual({
        column: 'occurred_at',
        mark: '2026-01-02T08:30:00.500Z',
      });
      expect(await other.ledger.cursorMark('clicks')).toEqual({
        column: 'clicked_at',
        mark: '2026-02-01T00:00:00.000Z',
      });
      expect(await other.ledger.cursorMark('users')).toBeNull();
    });

    it('keeps the column a mark was taken on, so a sync whose cursor moved to another column can tell', async () => {
      const store = await openStore();
      await store.ledger.saveCursorMark('events', {
        column: 'occurred_at',
        mark: '2026-01-01T10:00:00.000Z',
      });
      await store.ledger.saveCursorMark('events', { column: 'loaded_at', mark: '2025-12-31T00:00:00.000Z' });
      expect(await store.ledger.cursorMark('events')).toEqual({
        column: 'loaded_at',
        mark: '2025-12-31T00:00:00.000Z',
      });
    });

    it('are moved by a state transfer, and deleted by clearing it', async () => {
      const from = await openStore();
      await from.ledger.saveCursorMark('events', { column: 'occurred_at', mark: '2026-01-01T10:00:00.000Z' });
      const pieces: StatePiece[] = [];
      let cursor: string | null = null;
      do {
        const page: { pieces: StatePiece[]; next: string | null } = await from.transfer.exportPage(cursor);
        pieces.push(...page.pieces);
        cursor = page.next;
      } while (cursor !== null);
      expect(pieces.filter((piece) => piece.kind === 'cursors')).toEqual([
        {
          kind: 'cursors',
          marks: [{ sync: 'events', column: 'occurred_at', mark: '2026-01-01T10:00:00.000Z' }],
        },
      ]);
      await from.transfer.clear();
      expect(await from.ledger.cursorMark('events')).toBeNull();
      await from.transfer.importPieces(pieces.filter((piece) => piece.kind === 'cursors'));
      expect(await from.ledger.cursorMark('events')).toEqual({
        column: 'occurred_at',
        mark: '2026-01-01T10:00:00.000Z',
      });
    });
  });
}
