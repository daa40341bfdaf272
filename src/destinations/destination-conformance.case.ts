/**
 * The shared destination conformance suite (hono's `common.case.test.ts` habit): every destination
 * runs these same assertions. A destination's test file calls `describeDestinationConformance` with
 * its DestinationType, a setup that returns a destination aimed at a real local server, and a
 * fixture of payloads. What it pins down: prepare/encode round-trip byte-exactly, `prepare` is
 * deterministic and pure, nothing `prepare` accepts can break the per-message limit with the ids
 * Sluice sends (and what is refused really would), `send` answers
 * one outcome per message in input order, and requests stay within the limits.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectKind } from '../core/workspace.js';
import {
  type Destination,
  type DestinationType,
  type EncodedMessage,
  type Prepared,
  SENT_MESSAGE_ID_LENGTH,
} from './destination.js';

export interface DestinationConformanceSubject {
  destination: Destination;
  /** Ids of the messages the server stored, duplicates excluded. */
  deliveredIds(): Promise<string[]>;
  /** Messages the server took in but dropped one by one (malformed): must stay 0 for valid input. */
  droppedCount(): Promise<number>;
  /** Requests the server received, and how many of them it refused as a whole. */
  requestCounts(): Promise<{ requests: number; refused: number }>;
  /** Forgets what the server stored and counted. */
  reset(): Promise<void>;
  /** A message the server refuses on its own (built by hand, bypassing `prepare`). */
  poison(key: string, messageId: string): EncodedMessage;
  /** Stops the server and removes what setup made; the suite closes the destination itself. */
  cleanup(): Promise<void>;
}

export interface DestinationConformanceFixture {
  /** Payloads `prepare` must accept: at least one per object kind. */
  valid: { object: ObjectKind; payload: Record<string, unknown> }[];
  /** Payloads `prepare` must refuse, with the SPEC §3 reason code expected. */
  invalid: { object: ObjectKind; payload: Record<string, unknown>; reason: string }[];
  /** A valid payload whose serialised size grows with `n` (about one byte per unit). */
  filler(object: ObjectKind, n: number): Record<string, unknown>;
}

const PLANNED_AT = '2025-06-01T12:00:00.000Z';
const KINDS: ObjectKind[] = ['user', 'group', 'event'];

/** A deterministic id of exactly `length` characters (100 is the SPEC §3 maximum). */
export function conformanceMessageId(n: number, length = 40): string {
  return `conf-${n}-`.padEnd(length, 'x');
}

/** Is `part` contained in `whole` (objects key by key, everything else by equality)? */
function isDeepSubset(part: unknown, whole: unknown): boolean {
  if (typeof part !== 'object' || part === null || Array.isArray(part)) {
    return JSON.stringify(part) === JSON.stringify(whole);
  }
  if (typeof whole !== 'object' || whole === null || Array.isArray(whole)) return false;
  const w = whole as Record<string, unknown>;
  return Object.entries(part).every(([k, v]) => k in w && isDeepSubset(v, w[k]));
}

/** Runs the conformance suite over the destination `setup` returns. */
export function describeDestinationConformance(
  type: DestinationType,
  setup: () => Promise<DestinationConformanceSubject>,
  fixture: DestinationConformanceFixture,
): void {
  describe(`destination conformance: ${type.type}`, () => {
    let subject: DestinationConformanceSubject;
    let destination: Destination;
    let serial = 0;

    function prepared(object: ObjectKind, payload: Record<string, unknown>): Prepared {
      const result = destination.prepare(object, payload);
      if (!result.ok) throw new Error(`fixture payload refused: ${result.reason}: ${result.message}`);
      return result;
    }

    function encodedBatch(count: number): EncodedMessage[] {
      return Array.from({ length: count }, (_, i) => {
        const { object, payload } = fixture.valid[i % fixture.valid.length]!;
        const id = conformanceMessageId(++serial);
        return destination.encode(prepared(object, payload), `key-${i}`, id, PLANNED_AT);
      });
    }

    beforeAll(async () => {
      subject = await setup();
      destination = subject.destination;
    });
    beforeEach(async () => {
      await subject.reset();
    });
    afterAll(async () => {
      await destination?.close();
      await subject?.cleanup();
    });

    it('describes every object kind and sane limits', () => {
      expect(destination.type).toBe(type.type);
      for (const kind of KINDS) {
        const d = type.objects[kind];
        expect(d.fields.length).toBeGreaterThan(0);
        if (d.defaultKeyField !== undefined) expect(d.keyFields).toContain(d.defaultKeyField);
        for (const field of d.keyFields) expect(d.fields).toContain(field);
      }
      const { maxMessageBytes, maxBatchBytes, maxBatchMessages } = destination.limits;
      expect(maxMessageBytes).toBeGreaterThan(0);
      expect(maxBatchBytes).toBeGreaterThanOrEqual(maxMessageBytes);
      expect(maxBatchMessages).toBeGreaterThanOrEqual(1);
      expect(destination.concurrency).toBeGreaterThanOrEqual(1);
      expect(KINDS.every((kind) => fixture.valid.some((v) => v.object === kind))).toBe(true);
    });

    it('prepares valid payloads deterministically, byte-exactly, without touching them', () => {
      for (const { object, payload } of fixture.valid) {
        const before = structuredClone(payload);
        const p = prepared(object, payload);
        expect(payload).toEqual(before);
        expect(p.bytes).toBe(Buffer.byteLength(p.json, 'utf8'));
        expect(typeof JSON.parse(p.json)).toBe('object');
        const again = prepared(object, structuredClone(payload));
        expect(again).toEqual(p);
      }
    });

    it('refuses invalid payloads with their reason code and a sentence', () => {
      for (const { object, payload, reason } of fixture.invalid) {
        const result = destination.prepare(object, payload);
        expect(result.ok, `${object} ${JSON.stringify(payload)}`).toBe(false);
        if (result.ok) continue;
        expect(result.reason).toBe(reason);
        expect(result.message.length).toBeGreaterThan(10);
      }
    });

    it('encodes by adding to the prepared message, never changing it, with exact bytes', () => {
      for (const { object, payload } of fixture.valid) {
        const p = prepared(object, payload);
        const id = conformanceMessageId(++serial, 100);
        const e = destination.encode(p, 'the-key', id, PLANNED_AT);
        expect(e.key).toBe('the-key');
        expect(e.messageId).toBe(id);
        expect(e.bytes).toBe(Buffer.byteLength(e.json, 'utf8'));
        expect(isDeepSubset(JSON.parse(p.json), JSON.parse(e.json))).toBe(true);
        expect(e.json).toContain(JSON.stringify(id));
        if (!p.hasTimestamp) expect(e.json).toContain(PLANNED_AT);
      }
    });

    it('accepts exactly the messages that encode to at most maxMessageBytes with a Sluice messageId', () => {
      const max = destination.limits.maxMessageBytes;
      for (const kind of KINDS) {
        let refused = false;
        let largest = 0;
        for (let n = max - 600; n <= max + 50; n += 1) {
          const result = destination.prepare(kind, fixture.filler(kind, n));
          if (!result.ok) {
            expect(result.reason).toBe('message_too_large');
            refused = true;
            continue;
          }
          const id = conformanceMessageId(1, SENT_MESSAGE_ID_LENGTH);
          const e = destination.encode(result, 'k', id, PLANNED_AT);
          expect(e.bytes).toBeLessThanOrEqual(max);
          largest = Math.max(largest, e.bytes);
        }
        expect(refused, `${kind}: some filler size is refused`).toBe(true);
        // No slack: the largest accepted message is within a character (≤ 4 bytes) of the limit.
        expect(largest, `${kind}: largest accepted`).toBeGreaterThan(max - 4);
      }
    });

    it('sends nothing for an empty batch', async () => {
      expect(await destination.send([])).toEqual([]);
      expect((await subject.requestCounts()).requests).toBe(0);
    });

    it('delivers a valid batch: every outcome succeeded, every message stored once', async () => {
      const batch = encodedBatch(12);
      const outcomes = await destination.send(batch);
      expect(outcomes).toEqual(batch.map(() => ({ status: 'succeeded' })));
      expect((await subject.deliveredIds()).sort()).toEqual(batch.map((m) => m.messageId).sort());
      expect(await subject.droppedCount()).toBe(0);
    });

    it('answers one outcome per message in input order, failing only the refused ones', async () => {
      const batch = encodedBatch(9);
      const poisoned = new Set([0, 4, 8]);
      for (const i of poisoned) batch[i] = subject.poison(`key-${i}`, conformanceMessageId(++serial));
      const outcomes = await destination.send(batch);
      expect(outcomes).toHaveLength(batch.length);
      outcomes.forEach((outcome, i) => {
        expect(outcome.status, `outcome ${i}`).toBe(poisoned.has(i) ? 'failed' : 'succeeded');
        if (outcome.status === 'failed') expect(outcome.error.length).toBeGreaterThan(0);
      });
      const delivered = new Set(await subject.deliveredIds());
      batch.forEach((m, i) => {
        expect(delivered.has(m.messageId), `message ${i}`).toBe(!poisoned.has(i));
      });
    });

    it('keeps requests within maxBatchMessages even when handed more', async () => {
      const { maxBatchMessages } = destination.limits;
      const batch = encodedBatch(maxBatchMessages + 1);
      const outcomes = await destination.send(batch);
      expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
      expect((await subject.deliveredIds()).length).toBe(batch.length);
      expect(await subject.droppedCount()).toBe(0);
      expect(await subject.requestCounts()).toEqual({ requests: 2, refused: 0 });
    });

    it('keeps requests within maxBatchBytes: a batch of the largest messages goes through unrefused', async () => {
      const { maxMessageBytes, maxBatchBytes } = destination.limits;
      // The largest filler that prepares, so each message is near maxMessageBytes.
      let n = maxMessageBytes;
      while (!destination.prepare('event', fixture.filler('event', n)).ok) n -= 64;
      const count = Math.ceil((1.5 * maxBatchBytes) / maxMessageBytes);
      const batch = Array.from({ length: count }, (_, i) =>
        destination.encode(
          prepared('event', fixture.filler('event', n)),
          `big-${i}`,
          conformanceMessageId(++serial, SENT_MESSAGE_ID_LENGTH),
          PLANNED_AT,
        ),
      );
      const outcomes = await destination.send(batch);
      expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
      expect((await subject.deliveredIds()).length).toBe(count);
      const counts = await subject.requestCounts();
      expect(counts.refused).toBe(0);
      expect(counts.requests).toBeGreaterThanOrEqual(
        Math.ceil(count / Math.floor(maxBatchBytes / batch[0]!.bytes)),
      );
    });
  });
}
