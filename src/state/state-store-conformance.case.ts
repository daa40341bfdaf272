import { afterEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../core/errors.js';
import { emptyCounts, type RunCounts } from '../core/run.js';
import { columnValues, isPacked } from '../core/text-columns.js';
import type { DeliveryResult, PlannedChange, StateStore } from './state-store.js';
import { describeAlertConformance } from './state-store-alerts.case.js';
import { describeCursorMarkConformance } from './state-store-cursors.case.js';
import { describeExchangeConformance } from './state-store-exchanges.case.js';
import { describeHistoryConformance } from './state-store-history.case.js';
import { describeNotificationConformance } from './state-store-notifications.case.js';
import { describeRateConformance } from './state-store-rates.case.js';
import { describeRetentionConformance } from './state-store-retention.case.js';
import { describeRunQueueConformance } from './state-store-run-queue.case.js';
import { describeScheduleConformance } from './state-store-schedules.case.js';
import { describeTokenConformance } from './state-store-tokens.case.js';

const sync = 'users-to-segment';
const otherSync = 'accounts-to-segment';
const startedAt = '2025-03-01T10:00:00.000Z';

function planned(key: string, generation: number): PlannedChange {
  return { key, hash: `hash-${key}-${generation}`, messageId: `msg-${key}-${generation}`, generation };
}

function outcome(
  change: PlannedChange,
  status: DeliveryResult['status'],
  error: string | null = null,
): DeliveryResult {
  return {
    key: change.key,
    hash: change.hash,
    sourceHash: `source-${change.hash}`,
    generation: change.generation,
    messageId: change.messageId,
    payload: JSON.stringify({ type: 'identify', userId: change.key, messageId: change.messageId }),
    reason: change.generation === 1 ? 'new' : 'changed',
    status,
    error: status === 'succeeded' ? null : (error ?? 'HTTP 500 from Segment'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every StateStore must show, run once per implementation (hono's `*.case.test.ts`
 * habit). `open` must return a new connection to the same storage on every call within one test,
 * and that storage must start empty for each test (e.g. a fresh temp file made in `beforeEach`).
 */
export function describeStateStoreConformance(name: string, open: () => Promise<StateStore>): void {
  describe(`StateStore conformance: ${name}`, () => {
    const opened = new Set<StateStore>();
    const openStore = async () => {
      const store = await open();
      opened.add(store);
      return store;
    };
    const closeStore = async (store: StateStore) => {
      opened.delete(store);
      await store.close();
    };
    afterEach(async () => {
      for (const store of opened) await store.close();
      opened.clear();
    });

    describe('workspace id', () => {
      it('is made once and kept across calls, connections and reopening', async () => {
        const store = await openStore();
        const id = await store.workspaceId();
        expect(id).toMatch(/^[A-Za-z0-9_-]{8,32}$/);
        expect(await store.workspaceId()).toBe(id);
        expect(await (await openStore()).workspaceId()).toBe(id);
        await closeStore(store);
        expect(await (await openStore()).workspaceId()).toBe(id);
      });

      it('takes a proposed id only when it has none yet (sluice init makes both together)', async () => {
        const store = await openStore();
        expect(await store.workspaceId('ws-from-init-1')).toBe('ws-from-init-1');
        expect(await (await openStore()).workspaceId('another-proposal')).toBe('ws-from-init-1');
        expect(await (await openStore()).workspaceId()).toBe('ws-from-init-1');
      });

      it('ignores a proposal once it made its own id', async () => {
        const id = await (await openStore()).workspaceId();
        expect(await (await openStore()).workspaceId('too-late-proposal')).toBe(id);
      });
    });

    describeRetentionConformance(openStore);
    describeRateConformance(openStore);
    describeHistoryConformance(openStore);
    describeRunQueueConformance(openStore);
    describeTokenConformance(openStore);
    describeScheduleConformance(openStore);
    describeExchangeConformance(openStore);
    describeAlertConformance(openStore);
    describeNotificationConformance(openStore);
    describeCursorMarkConformance(openStore);

    describe('runs', () => {
      it('starts a run as running with zero counts', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: true, startedAt });
        expect(await store.runs.get(runId)).toEqual({
          runId,
          sync,
          status: 'running',
          dryRun: false,
          fullResync: true,
          counts: emptyCounts(),
          startedAt,
          finishedAt: null,
          error: null,
        });
        expect(await store.runs.get('r_no_such_run')).toBeNull();
      });

      it('finishes a run with its status, counts, finish time and error', async () => {
        const store = await openStore();
        const counts: RunCounts = {
          ...emptyCounts(),
          extracted: 10,
          invalid: 1,
          new: 9,
          planned: 9,
          succeeded: 9,
        };
        const ok = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.runs.finish(ok, {
          status: 'completed',
          counts,
          finishedAt: '2025-03-01T10:01:00.000Z',
          error: null,
        });
        expect(await store.runs.get(ok)).toMatchObject({ status: 'completed', counts, error: null });
        expect((await store.runs.get(ok))?.finishedAt).toBe('2025-03-01T10:01:00.000Z');

        const bad = await store.runs.start({ sync, fullResync: false, startedAt });
        const error = { code: 'source_error', message: 'relation "users" does not exist' };
        await store.runs.finish(bad, {
          status: 'failed',
          counts: emptyCounts(),
          finishedAt: startedAt,
          error,
        });
        expect(await store.runs.get(bad)).toMatchObject({ status: 'failed', error });
        await expect(
          store.runs.finish('r_no_such_run', {
            status: 'completed',
            counts,
            finishedAt: startedAt,
            error: null,
          }),
        ).rejects.toBeInstanceOf(SluiceError);
      });

      it('lists runs newest first, filtered by sync, up to the limit', async () => {
        const store = await openStore();
        const ids: string[] = [];
        for (const name of [sync, otherSync, sync, sync, otherSync]) {
          ids.push(await store.runs.start({ sync: name, fullResync: false, startedAt }));
        }
        expect(new Set(ids).size).toBe(5);
        expect((await store.runs.list({ limit: 10 })).items.map((run) => run.runId)).toEqual(
          [...ids].reverse(),
        );
        expect((await store.runs.list({ sync, limit: 10 })).items.map((run) => run.runId)).toEqual([
          ids[3],
          ids[2],
          ids[0],
        ]);
        expect((await store.runs.list({ sync: otherSync, limit: 1 })).items.map((run) => run.runId)).toEqual([
          ids[4],
        ]);
        expect((await store.runs.list({ limit: 0 })).items).toEqual([]);
        expect((await store.runs.list({ sync: 'no-such-sync', limit: 10 })).items).toEqual([]);
      });
    });

    describe('run records', () => {
      it('keeps records in insertion order, filtered by status, up to the limit', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const invalid = { status: 'invalid' as const, messageId: null, payload: null };
        await store.ledger.recordInvalid(runId, [
          { key: null, reason: 'null_key', message: 'the key column "id" is null', ...invalid },
          { key: 'u1', reason: 'duplicate_key', message: 'key "u1" appears twice', ...invalid },
        ]);
        const [a, b, c] = [planned('u2', 1), planned('u3', 1), planned('u4', 1)];
        await store.ledger.savePlanned(sync, [a, b, c]);
        await store.ledger.recordDeliveries(sync, runId, [
          outcome(a, 'succeeded'),
          outcome(b, 'failed'),
          outcome(c, 'succeeded'),
        ]);

        const all = (await store.runs.records(runId, { limit: 100 })).items;
        expect(all.map((record) => [record.key, record.status])).toEqual([
          [null, 'invalid'],
          ['u1', 'invalid'],
          ['u2', 'succeeded'],
          ['u3', 'failed'],
          ['u4', 'succeeded'],
        ]);
        expect(all[0]).toEqual({
          runId,
          key: null,
          reason: 'null_key',
          message: 'the key column "id" is null',
          ...invalid,
        });
        expect(all[3]).toEqual({
          runId,
          key: 'u3',
          status: 'failed',
          reason: 'new',
          message: 'HTTP 500 from Segment',
          messageId: b.messageId,
          payload: outcome(b, 'failed').payload,
        });
        expect(
          (await store.runs.records(runId, { status: 'succeeded', limit: 100 })).items.map((r) => r.key),
        ).toEqual(['u2', 'u4']);
        expect(
          (await store.runs.records(runId, { status: 'invalid', limit: 1 })).items.map((r) => r.key),
        ).toEqual([null]);
        expect((await store.runs.records(runId, { limit: 3 })).items.map((r) => r.key)).toEqual([
          null,
          'u1',
          'u2',
        ]);
        expect((await store.runs.records(runId, { status: 'abandoned', limit: 100 })).items).toEqual([]);
        expect((await store.runs.records('r_no_such_run', { limit: 100 })).items).toEqual([]);
        await expect(
          store.ledger.recordInvalid('r_no_such_run', [
            { key: 'x', reason: 'null_key', message: null, ...invalid },
          ]),
        ).rejects.toBeInstanceOf(SluiceError);
      });
    });

    describe('run records of a batch', () => {
      it('gives every record its own payload back, whatever characters the payloads hold', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const payloads = ['{"name":"🦆 duck"}', '{"name":"plain"}', '{"name":"é\\u0000\\"q\\""}', ''];
        const changes = payloads.map((_, i) => planned(`k${i}`, 1));
        await store.ledger.recordDeliveries(
          sync,
          runId,
          changes.map((change, i) => ({
            ...outcome(change, i === 1 ? 'failed' : 'succeeded'),
            payload: payloads[i]!,
          })),
        );
        const records = (await store.runs.records(runId, { limit: 10 })).items;
        expect(records.map((r) => r.payload)).toEqual(payloads);
        expect(
          (await store.runs.records(runId, { status: 'failed', limit: 10 })).items.map((r) => r.payload),
        ).toEqual([payloads[1]]);
        const delivered = await store.ledger.deliveredPayloads(sync, ['k0', 'k1', 'k2', 'k3']);
        expect(delivered).toEqual(
          new Map([
            ['k0', payloads[0]],
            ['k2', payloads[2]],
            ['k3', payloads[3]],
          ]),
        );
      });
    });

    describe('key states', () => {
      it('returns only keys that exist, for the asked sync', async () => {
        const store = await openStore();
        expect((await store.ledger.keyStates(sync, ['u1', 'u2'])).size).toBe(0);
        expect((await store.ledger.keyStates(sync, [])).size).toBe(0);
        await store.ledger.savePlanned(sync, [planned('u1', 1)]);
        const states = await store.ledger.keyStates(sync, ['u1', 'u2']);
        expect([...states.keys()]).toEqual(['u1']);
        expect((await store.ledger.keyStates(otherSync, ['u1'])).size).toBe(0);
      });

      it('plans a change as pending and raises the generation, never lowering it', async () => {
        const store = await openStore();
        await store.ledger.savePlanned(sync, [planned('u1', 3)]);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')).toEqual({
          key: 'u1',
          deliveredHash: null,
          deliveredSourceHash: null,
          deliveredMessageId: null,
          generation: 3,
          pending: {
            hash: 'hash-u1-3',
            messageId: 'msg-u1-3',
            generation: 3,
            attempts: 0,
            firstFailedAt: null,
            lastError: null,
            abandoned: false,
          },
          removed: false,
        });
        await store.ledger.savePlanned(sync, [planned('u1', 2)]);
        const state = (await store.ledger.keyStates(sync, ['u1'])).get('u1');
        expect(state?.generation).toBe(3);
        expect(state?.pending?.messageId).toBe('msg-u1-2');
      });

      it('remembers a delivered change and clears its pending state', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const change = planned('u1', 1);
        await store.ledger.savePlanned(sync, [change]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(change, 'succeeded')]);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')).toEqual({
          key: 'u1',
          deliveredHash: change.hash,
          deliveredSourceHash: `source-${change.hash}`,
          deliveredMessageId: change.messageId,
          generation: 1,
          pending: null,
          removed: false,
        });
        expect(await store.ledger.deliveredPayloads(sync, ['u1', 'u2'])).toEqual(
          new Map([['u1', outcome(change, 'succeeded').payload]]),
        );
        // A later change is planned beside the delivered one, which stays until it is replaced.
        await store.ledger.savePlanned(sync, [planned('u1', 2)]);
        const state = (await store.ledger.keyStates(sync, ['u1'])).get('u1');
        expect(state).toMatchObject({
          deliveredHash: change.hash,
          deliveredMessageId: change.messageId,
          generation: 2,
        });
        expect(state?.pending).toMatchObject({ hash: 'hash-u1-2', messageId: 'msg-u1-2', generation: 2 });
      });

      it('keeps a newer plan pending when an older change is delivered', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.savePlanned(sync, [planned('u1', 1)]);
        await store.ledger.savePlanned(sync, [planned('u1', 2)]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(planned('u1', 1), 'succeeded')]);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')).toMatchObject({
          deliveredMessageId: 'msg-u1-1',
          generation: 2,
          pending: { messageId: 'msg-u1-2', generation: 2 },
        });
      });

      it('keeps a failed change pending under the same messageId across attempts', async () => {
        const store = await openStore();
        const first = await store.runs.start({ sync, fullResync: false, startedAt });
        const change = planned('u1', 1);
        await store.ledger.savePlanned(sync, [change]);
        await store.ledger.recordDeliveries(sync, first, [outcome(change, 'failed', 'HTTP 503')]);
        const afterOne = (await store.ledger.keyStates(sync, ['u1'])).get('u1')?.pending;
        expect(afterOne).toMatchObject({
          messageId: change.messageId,
          generation: 1,
          attempts: 1,
          lastError: 'HTTP 503',
        });
        expect(afterOne?.firstFailedAt).toEqual(expect.any(String));

        await sleep(5);
        const second = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.savePlanned(sync, [change]); // the retry is planned again, unchanged
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')?.pending?.attempts).toBe(1);
        await store.ledger.recordDeliveries(sync, second, [
          outcome(change, 'failed', 'timeout after 10000 ms'),
        ]);
        const state = (await store.ledger.keyStates(sync, ['u1'])).get('u1');
        expect(state?.deliveredHash).toBeNull();
        expect(state?.pending).toEqual({
          hash: change.hash,
          messageId: change.messageId,
          generation: 1,
          attempts: 2,
          firstFailedAt: afterOne?.firstFailedAt,
          lastError: 'timeout after 10000 ms',
          abandoned: false,
        });

        const third = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.recordDeliveries(sync, third, [outcome(change, 'succeeded')]);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')).toMatchObject({
          deliveredMessageId: change.messageId,
          pending: null,
        });
      });

      it('starts a new change afresh after failures of an earlier one', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.savePlanned(sync, [planned('u1', 1)]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(planned('u1', 1), 'failed')]);
        await store.ledger.savePlanned(sync, [planned('u1', 2)]);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')?.pending).toEqual({
          hash: 'hash-u1-2',
          messageId: 'msg-u1-2',
          generation: 2,
          attempts: 0,
          firstFailedAt: null,
          lastError: null,
          abandoned: false,
        });
      });

      it('keeps an abandoned change pending, flagged, with its last error', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const change = planned('u1', 1);
        await store.ledger.savePlanned(sync, [change]);
        await store.ledger.recordDeliveries(sync, runId, [
          outcome(change, 'abandoned', 'HTTP 500 (gave up after 5 attempts)'),
        ]);
        const state = (await store.ledger.keyStates(sync, ['u1'])).get('u1');
        expect(state?.deliveredHash).toBeNull();
        expect(state?.pending).toMatchObject({
          messageId: change.messageId,
          abandoned: true,
          lastError: 'HTTP 500 (gave up after 5 attempts)',
        });
        expect(
          (await store.runs.records(runId, { status: 'abandoned', limit: 10 })).items.map((r) => r.key),
        ).toEqual(['u1']);
      });

      it('marks keys as seen without a message, leaving the generation alone', async () => {
        const store = await openStore();
        expect((await store.ledger.countKeys(sync)).keys > 0).toBe(false);
        await store.ledger.savePlanned(sync, [planned('e2', 4)]);
        await store.ledger.markSeen(sync, [
          { key: 'e1', hash: 'h1', sourceHash: 's1' },
          { key: 'e2', hash: 'h2', sourceHash: 's2' },
        ]);
        const states = await store.ledger.keyStates(sync, ['e1', 'e2']);
        expect(states.get('e1')).toEqual({
          key: 'e1',
          deliveredHash: 'h1',
          deliveredSourceHash: 's1',
          deliveredMessageId: null,
          generation: 0,
          pending: null,
          removed: false,
        });
        expect(states.get('e2')).toMatchObject({
          deliveredHash: 'h2',
          deliveredMessageId: null,
          generation: 4,
        });
        expect((await store.ledger.countKeys(sync)).keys > 0).toBe(true);
        // Nothing was sent, so there is no message to explain changes against.
        expect((await store.ledger.deliveredPayloads(sync, ['e1'])).size).toBe(0);

        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.savePlanned(sync, [planned('e3', 1)]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(planned('e3', 1), 'succeeded')]);
        await store.ledger.markSeen(sync, [{ key: 'e3', hash: 'h3', sourceHash: 's3' }]);
        expect((await store.ledger.keyStates(sync, ['e3'])).get('e3')).toMatchObject({
          deliveredHash: 'h3',
          deliveredMessageId: null,
          generation: 1,
        });
        expect((await store.ledger.countKeys(otherSync)).keys > 0).toBe(false);
      });

      it("records a key's first message delivered or failed without a plan, with its generation", async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const [a, b] = [planned('u1', 1), planned('u2', 1)];
        await store.ledger.recordDeliveries(sync, runId, [
          outcome(a, 'succeeded'),
          outcome(b, 'failed', 'HTTP 503'),
        ]);
        const states = await store.ledger.keyStates(sync, ['u1', 'u2']);
        expect(states.get('u1')).toMatchObject({
          generation: 1,
          deliveredMessageId: a.messageId,
          pending: null,
        });
        expect(states.get('u2')).toMatchObject({
          generation: 1,
          deliveredHash: null,
          pending: { messageId: b.messageId, generation: 1, attempts: 1, lastError: 'HTTP 503' },
        });
        // The next change of u1 is generation 2; a delivered older generation never lowers it.
        await store.ledger.recordDeliveries(sync, runId, [outcome(planned('u1', 2), 'succeeded')]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(planned('u1', 1), 'succeeded')]);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')?.generation).toBe(2);
      });

      it('looks keys up by source fingerprint: the unchanged ones, the rest with their states', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const [a, b, c] = [planned('u1', 1), planned('u2', 1), planned('u3', 1)];
        await store.ledger.recordDeliveries(sync, runId, [outcome(a, 'succeeded'), outcome(b, 'succeeded')]);
        await store.ledger.savePlanned(sync, [planned('u2', 2), c]);
        const lookup = await store.ledger.lookup(
          sync,
          ['u1', 'u2', 'u3', 'u4', 'u1-again'],
          [`source-${a.hash}`, `source-${b.hash}`, 'anything', 'anything', ''],
        );
        // u1: delivered from this fingerprint; u2: same fingerprint but a newer change is pending;
        // u3: only planned; u4: never seen.
        expect([...lookup.unchanged]).toEqual(['u1']);
        expect([...lookup.states.keys()].sort()).toEqual(['u2', 'u3']);
        expect(lookup.states.get('u2')?.pending?.messageId).toBe('msg-u2-2');
        const other = await store.ledger.lookup(sync, ['u1'], ['another fingerprint']);
        expect([...other.unchanged]).toEqual([]);
        expect(other.states.get('u1')?.deliveredHash).toBe(a.hash);
      });

      it('pages out the fingerprints lookup could find unchanged, of one salt', async () => {
        const store = await openStore();
        const salt = 'salt\u0000';
        await store.ledger.markSeen(sync, [
          { key: 'k1', hash: 'h1', sourceHash: `${salt}r1` },
          { key: 'k2', hash: 'h2', sourceHash: 'other-salt\u0000r2' },
          { key: 'k3', hash: 'h3', sourceHash: `${salt}r3` },
          { key: 'k4', hash: 'h4', sourceHash: `${salt}r4` },
          { key: 'k5\u0000nul', hash: 'h5', sourceHash: `${salt}r5` },
          { key: 'k6', hash: 'h6', sourceHash: salt },
          { key: 'k7', hash: 'h7', sourceHash: `${salt}r7` },
        ]);
        await store.ledger.markSeen(otherSync, [{ key: 'k1', hash: 'h1', sourceHash: `${salt}other` }]);
        // k3: a newer change pending; k4: reported removed by a run that did not see it.
        await store.ledger.savePlanned(sync, [planned('k3', 1)]);
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(runId, ['k1', 'k2', 'k3', 'k5\u0000nul', 'k6', 'k7']);
        await store.ledger.sweepRemoved(sync, runId, { record: true });
        expect((await store.ledger.keyStates(sync, ['k4'])).get('k4')?.removed).toBe(true);
        const found: string[] = [];
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.ledger.deliveredFingerprints(sync, {
            salt,
            limit: 2,
            ...(after === undefined ? {} : { after }),
          });
          pages++;
          const [keys = [], rowHashes = []] = columnValues(page.pairs);
          found.push(...keys.map((key, i) => `${key}=${rowHashes[i]}`));
          if (page.next === null) break;
          after = page.next;
        }
        // In the store's own key order (PostgreSQL orders a key holding U+0000 by its stored form).
        expect(found.sort()).toEqual(['k1=r1', 'k5\u0000nul=r5', 'k7=r7']);
        expect(pages).toBeGreaterThanOrEqual(3);
        const empty = await store.ledger.deliveredFingerprints('no-such-sync', { salt, limit: 10 });
        expect(empty.next).toBeNull();
        expect(columnValues(empty.pairs)).toEqual([[], []]);
      });

      it('pages out fingerprints packed, and any key or row hash exactly, whatever characters it holds', async () => {
        const store = await openStore();
        const salt = 'c2FsdA\u0000';
        // Plain keys, which a store packs, around the ones it may not: the separator of packed
        // columns (U+001F), PostgreSQL's escape mark (U+0001), U+0000, other scripts and
        // astral characters; and fingerprints just outside the salt's range of values.
        const plain = Array.from({ length: 50 }, (_, i) => ({
          key: `user-${String(i).padStart(3, '0')}`,
          hash: `h${i}`,
          sourceHash: `${salt}${'0123456789abcdef'.repeat(2)}${i}`,
        }));
        const special = [
          { key: 'k\u001fsep', hash: 'h', sourceHash: `${salt}r-sep-key` },
          { key: 'k-sep-hash', hash: 'h', sourceHash: `${salt}r\u001fsep` },
          { key: '\u0001mark', hash: 'h', sourceHash: `${salt}r-mark` },
          { key: 'mid\u0001mark', hash: 'h', sourceHash: `${salt}r\u0001mark` },
          { key: 'nul\u0000key', hash: 'h', sourceHash: `${salt}r\u0000nul` },
          { key: 'ключ-☃-😀', hash: 'h', sourceHash: `${salt}ряд-😀` },
          { key: 'above-range', hash: 'h', sourceHash: `${salt.slice(0, -1)}\u0001r` },
          { key: 'no-nul', hash: 'h', sourceHash: `${salt.slice(0, -1)}r` },
          { key: 'salt-only', hash: 'h', sourceHash: salt },
        ];
        await store.ledger.markSeen(sync, [...plain, ...special]);
        const expected = [...plain, ...special]
          .filter((entry) => entry.sourceHash.startsWith(salt) && entry.sourceHash.length > salt.length)
          .map((entry) => `${entry.key}=${entry.sourceHash.slice(salt.length)}`)
          .sort();
        expect(expected).toHaveLength(56);
        for (const limit of [1, 7, 1000]) {
          const found: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await store.ledger.deliveredFingerprints(sync, {
              salt,
              limit,
              ...(after === undefined ? {} : { after }),
            });
            const [keys = [], rowHashes = []] = columnValues(page.pairs);
            expect(keys.length).toBe(rowHashes.length);
            expect(keys.length).toBeLessThanOrEqual(limit);
            found.push(...keys.map((key, i) => `${key}=${rowHashes[i]}`));
            if (page.next === null) break;
            after = page.next;
          }
          expect(found.sort()).toEqual(expected);
        }
        // Plain keys alone (another sync) come as one packed page, in key order.
        await store.ledger.markSeen(otherSync, plain);
        const first = await store.ledger.deliveredFingerprints(otherSync, { salt, limit: 10 });
        expect(isPacked(first.pairs)).toBe(true);
        expect(columnValues(first.pairs)).toEqual([
          plain.slice(0, 10).map((entry) => entry.key),
          plain.slice(0, 10).map((entry) => entry.sourceHash.slice(salt.length)),
        ]);
      });

      it('refreshes the source fingerprint of a key only while its delivered hash is the one given', async () => {
        const store = await openStore();
        await store.ledger.markSeen(sync, [
          { key: 'u1', hash: 'h1', sourceHash: 's1' },
          { key: 'u2', hash: 'h2', sourceHash: 's2' },
        ]);
        await store.ledger.refreshSourceHashes(sync, [
          { key: 'u1', hash: 'h1', sourceHash: 's1-new' },
          { key: 'u2', hash: 'not-h2', sourceHash: 's2-new' },
          { key: 'u3', hash: 'h3', sourceHash: 's3' },
        ]);
        const states = await store.ledger.keyStates(sync, ['u1', 'u2', 'u3']);
        expect(states.get('u1')?.deliveredSourceHash).toBe('s1-new');
        expect(states.get('u2')?.deliveredSourceHash).toBe('s2');
        expect(states.has('u3')).toBe(false);
      });

      it('handles batches beyond bound-variable limits and keys of any shape', async () => {
        const store = await openStore();
        const keys = Array.from({ length: 33_000 }, (_, i) => `user-${i}`);
        await store.ledger.savePlanned(
          sync,
          keys.map((key) => planned(key, 1)),
        );
        const missing = Array.from({ length: 5_000 }, (_, i) => `ghost-${i}`);
        expect((await store.ledger.keyStates(sync, [...keys, ...missing])).size).toBe(33_000);
        const mixed = await store.ledger.keyStates(sync, [
          ...keys.slice(0, 2_500),
          ...missing.slice(0, 2_500),
        ]);
        expect(mixed.size).toBe(2_500);
        expect(mixed.get('user-2499')?.pending?.messageId).toBe('msg-user-2499-1');

        const odd = ['42', '042', '4.20', 'it\'s "quoted"', 'ünïcødé 🚀', '', 'a,b', 'null'];
        await store.ledger.savePlanned(
          otherSync,
          odd.map((key) => planned(key, 1)),
        );
        const found = await store.ledger.keyStates(otherSync, [...odd, '4.2', 'NULL']);
        expect([...found.keys()].sort()).toEqual([...odd].sort());
      });

      it('writes a batch entirely or not at all', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const broken = { ...planned('u2', 1), key: null as unknown as string };
        await expect(store.ledger.savePlanned(sync, [planned('u1', 1), broken])).rejects.toBeInstanceOf(
          SluiceError,
        );
        expect((await store.ledger.countKeys(sync)).keys > 0).toBe(false);

        await store.ledger.savePlanned(sync, [planned('u1', 1)]);
        await expect(
          store.ledger.recordDeliveries(sync, runId, [
            outcome(planned('u1', 1), 'succeeded'),
            outcome(broken, 'succeeded'),
          ]),
        ).rejects.toBeInstanceOf(SluiceError);
        expect((await store.ledger.keyStates(sync, ['u1'])).get('u1')?.deliveredHash).toBeNull();
        expect((await store.runs.records(runId, { limit: 10 })).items).toEqual([]);
        await expect(
          store.ledger.recordDeliveries(sync, 'r_no_such_run', [outcome(planned('u1', 1), 'succeeded')]),
        ).rejects.toBeInstanceOf(SluiceError);
      });
    });

    describe('persistence', () => {
      it('keeps runs, records and key states across reopening', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.savePlanned(sync, [planned('u1', 1), planned('u2', 1)]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(planned('u1', 1), 'succeeded')]);
        await store.runs.finish(runId, {
          status: 'completed',
          counts: emptyCounts(),
          finishedAt: startedAt,
          error: null,
        });
        const before = {
          runs: (await store.runs.list({ limit: 10 })).items,
          records: (await store.runs.records(runId, { limit: 10 })).items,
          states: await store.ledger.keyStates(sync, ['u1', 'u2']),
        };
        await closeStore(store);
        const reopened = await openStore();
        expect((await reopened.runs.list({ limit: 10 })).items).toEqual(before.runs);
        expect((await reopened.runs.records(runId, { limit: 10 })).items).toEqual(before.records);
        expect(await reopened.ledger.keyStates(sync, ['u1', 'u2'])).toEqual(before.states);
        expect(before.states.get('u2')?.pending?.messageId).toBe('msg-u2-1');
      });

      it("lets a second connection see the first one's writes, both ways", async () => {
        const [a, b] = [await openStore(), await openStore()];
        const runId = await a.runs.start({ sync, fullResync: false, startedAt });
        await a.ledger.savePlanned(sync, [planned('u1', 1)]);
        expect((await b.runs.get(runId))?.status).toBe('running');
        expect((await b.ledger.keyStates(sync, ['u1'])).get('u1')?.pending?.messageId).toBe('msg-u1-1');
        await b.ledger.recordDeliveries(sync, runId, [outcome(planned('u1', 1), 'succeeded')]);
        expect((await a.ledger.keyStates(sync, ['u1'])).get('u1')?.pending).toBeNull();
        expect((await a.runs.records(runId, { limit: 10 })).items).toHaveLength(1);
      });
    });

    describe('runs in progress and the newest completed run', () => {
      it('stores the counts of a running run, and ignores them once it is finished', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const soFar: RunCounts = { ...emptyCounts(), extracted: 4_000, planned: 40, succeeded: 30 };
        await store.runs.updateCounts(runId, soFar);
        expect((await (await openStore()).runs.get(runId))?.counts).toEqual(soFar);
        const final: RunCounts = { ...soFar, succeeded: 40 };
        await store.runs.finish(runId, {
          status: 'completed',
          counts: final,
          finishedAt: startedAt,
          error: null,
        });
        await store.runs.updateCounts(runId, soFar);
        expect((await store.runs.get(runId))?.counts).toEqual(final);
      });

      it('finds the newest completed run however many runs came after it, and filters runs by status', async () => {
        const store = await openStore();
        expect(await store.runs.lastCompleted(sync)).toBeNull();
        const done = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.runs.finish(done, {
          status: 'completed',
          counts: emptyCounts(),
          finishedAt: startedAt,
          error: null,
        });
        const dead = await store.runs.start({ sync, fullResync: false, startedAt });
        const error = { code: 'source_error', message: 'down' };
        for (let i = 0; i < 120; i++) {
          const failed = await store.runs.start({ sync, fullResync: false, startedAt });
          await store.runs.finish(failed, {
            status: 'failed',
            counts: emptyCounts(),
            finishedAt: startedAt,
            error,
          });
        }
        const other = await store.runs.start({ sync: otherSync, fullResync: false, startedAt });
        await store.runs.finish(other, {
          status: 'completed',
          counts: emptyCounts(),
          finishedAt: startedAt,
          error: null,
        });
        expect((await store.runs.lastCompleted(sync))?.runId).toBe(done);
        expect(
          (await store.runs.list({ sync, status: 'running', limit: 10 })).items.map((r) => r.runId),
        ).toEqual([dead]);
        expect((await store.runs.list({ sync, status: 'failed', limit: 1_000 })).items).toHaveLength(120);
        expect((await store.runs.list({ status: 'completed', limit: 10 })).items.map((r) => r.runId)).toEqual(
          [other, done],
        );
      });
    });

    describe('removed keys', () => {
      /** Delivers `keys` of `sync` in a run of their own. */
      async function deliver(store: StateStore, keys: string[], forSync = sync): Promise<void> {
        const runId = await store.runs.start({ sync: forSync, fullResync: false, startedAt });
        await store.ledger.recordDeliveries(
          forSync,
          runId,
          keys.map((k) => outcome(planned(k, 1), 'succeeded')),
        );
      }

      it('reports delivered keys a run did not see, once, with records, until they come back', async () => {
        const store = await openStore();
        await deliver(store, ['a', 'b', 'c', 'd']);
        await deliver(store, ['a', 'b'], otherSync);
        // A key planned but never delivered is not "delivered before".
        await store.ledger.savePlanned(sync, [planned('e', 1)]);

        const first = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(first, ['a']);
        await store.ledger.notePresentKeys(first, ['d', 'x']);
        expect(await store.ledger.sweepRemoved(sync, first, { record: true })).toBe(2);
        const records = (await store.runs.records(first, { status: 'removed', limit: 10 })).items;
        expect(records.map((r) => [r.key, r.reason, r.messageId]).sort()).toEqual([
          ['b', 'absent', 'msg-b-1'],
          ['c', 'absent', 'msg-c-1'],
        ]);

        // Counted and flagged: a lookup shows the flag, and the fingerprint shortcut skips flagged keys.
        // e, never delivered, is flagged too (silently: no record), so later counts balance without it.
        expect(await store.ledger.countKeys(sync)).toEqual({ keys: 5, removed: 3 });
        expect((await store.ledger.keyStates(sync, ['b', 'a'])).get('b')?.removed).toBe(true);
        const lookup = await store.ledger.lookup(sync, ['a', 'b'], ['source-hash-a-1', 'source-hash-b-1']);
        expect([...lookup.unchanged]).toEqual(['a']);
        expect(lookup.states.get('b')?.removed).toBe(true);
        await store.ledger.clearRemoved(sync, ['b']);
        expect(await store.ledger.countKeys(sync)).toEqual({ keys: 5, removed: 2 });
        const again = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(again, ['a', 'd']);
        expect(await store.ledger.sweepRemoved(sync, again, { record: true })).toBe(1);

        // Reported once: a later run that still lacks them says nothing more.
        const second = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(second, ['a', 'd']);
        expect(await store.ledger.sweepRemoved(sync, second, { record: true })).toBe(0);

        // Back in the model, then gone again: news again.
        const third = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(third, ['a', 'b', 'd']);
        expect(await store.ledger.sweepRemoved(sync, third, { record: true })).toBe(0);
        const fourth = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(fourth, ['a', 'd']);
        expect(await store.ledger.sweepRemoved(sync, fourth, { record: true })).toBe(1);
      });

      it('only counts in a dry run, and forgets the keys of a run that did not finish', async () => {
        const store = await openStore();
        await deliver(store, ['a', 'b']);
        await store.ledger.notePresentKeys('dry_1', ['a']);
        expect(await store.ledger.sweepRemoved(sync, 'dry_1', { record: false })).toBe(1);
        // Nothing was marked: a real run still finds it.
        const stopped = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(stopped, ['a', 'b']);
        await store.ledger.forgetPresentKeys(stopped);
        const real = await store.runs.start({ sync, fullResync: false, startedAt });
        await store.ledger.notePresentKeys(real, ['a']);
        expect(await store.ledger.sweepRemoved(sync, real, { record: true })).toBe(1);
        expect((await store.runs.records(stopped, { limit: 10 })).items).toEqual([]);
      });
    });

    describe('retry history and locks', () => {
      it('keeps the failure count across retries, and starts afresh when asked (--retry-abandoned)', async () => {
        const store = await openStore();
        const runId = await store.runs.start({ sync, fullResync: false, startedAt });
        const change = planned('u9', 1);
        await store.ledger.savePlanned(sync, [change]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(change, 'failed', 'HTTP 500')]);
        await store.ledger.savePlanned(sync, [change]);
        await store.ledger.recordDeliveries(sync, runId, [outcome(change, 'abandoned', 'HTTP 500')]);
        const given = (await store.ledger.keyStates(sync, ['u9'])).get('u9')!.pending!;
        expect(given).toMatchObject({
          attempts: 2,
          abandoned: true,
          lastError: 'HTTP 500',
          messageId: 'msg-u9-1',
        });

        await store.ledger.savePlanned(sync, [change]);
        expect((await store.ledger.keyStates(sync, ['u9'])).get('u9')!.pending).toMatchObject({
          attempts: 2,
          abandoned: true,
        });
        await store.ledger.savePlanned(sync, [{ ...change, resetAttempts: true }]);
        expect((await store.ledger.keyStates(sync, ['u9'])).get('u9')!.pending).toMatchObject({
          attempts: 0,
          abandoned: false,
          firstFailedAt: null,
          messageId: 'msg-u9-1',
        });
      });

      it('gives a lock to one holder at a time, until released, expired or stolen from a dead holder', async () => {
        const [a, b] = [await openStore(), await openStore()];
        const first = { id: 'h1', host: 'host-a', pid: 101, label: 'run 1' };
        const second = { id: 'h2', host: 'host-b', pid: 202, label: 'run 2' };
        expect(await a.locks.acquire('sync:x', first, 60_000)).toEqual({ acquired: true });
        const refused = await b.locks.acquire('sync:x', second, 60_000);
        expect(refused).toMatchObject({ acquired: false, holder: first });
        expect(await b.locks.acquire('sync:y', second, 60_000)).toEqual({ acquired: true });
        expect(await a.locks.renew('sync:x', 'h1', 60_000)).toBe(true);
        expect(await b.locks.renew('sync:x', 'h2', 60_000)).toBe(false);

        expect(await b.locks.acquire('sync:x', second, 60_000, 'not-h1')).toMatchObject({ acquired: false });
        expect(await b.locks.acquire('sync:x', second, 60_000, 'h1')).toEqual({ acquired: true });
        expect(await a.locks.renew('sync:x', 'h1', 60_000)).toBe(false);

        await b.locks.release('sync:x', 'h2');
        expect(await a.locks.acquire('sync:x', first, 1)).toEqual({ acquired: true });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await b.locks.acquire('sync:x', second, 60_000)).toEqual({ acquired: true });
      });

      it('tells who holds a lock until when, and nobody once it is released or its lease ran out', async () => {
        const [a, b] = [await openStore(), await openStore()];
        const first = { id: 'h1', host: 'host-a', pid: 101, label: 'run 1' };
        expect(await b.locks.holder('sync:x')).toBeNull();
        await a.locks.acquire('sync:x', first, 60_000);
        const held = await b.locks.holder('sync:x');
        expect(held?.holder).toEqual(first);
        expect(Date.parse(held!.expiresAt)).toBeGreaterThan(Date.now() + 50_000);
        await a.locks.release('sync:x', 'h1');
        expect(await b.locks.holder('sync:x')).toBeNull();
        await a.locks.acquire('sync:x', first, 1);
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await b.locks.holder('sync:x')).toBeNull();
      });
    });
  });
}
