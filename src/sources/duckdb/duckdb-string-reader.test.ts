import { describe, expect, it } from 'vitest';
import type { Value } from '../../core/values.js';
import type { DuckDBRawBindings } from './duckdb-client.js';
import { StringColumnReader } from './duckdb-string-reader.js';

// Where DuckDB puts a chunk's strings cannot be chosen from SQL, so these tests lay out `string_t`
// vectors by hand over a simulated address space. Its `get_data_from_pointer` refuses any read that
// leaves the region it starts in, as reading unmapped memory would crash the process.

/** One row: null, or a string's bytes, stored inline (<= 12 bytes) or at `address`. */
type Entry = null | { bytes: Uint8Array; address?: bigint };

class AddressSpace {
  readonly regions: { base: bigint; bytes: Uint8Array }[] = [];
  reads = 0;

  /** Lays `parts` back to back from `base` as one region; returns each part's address. */
  place(base: bigint, parts: Uint8Array[]): bigint[] {
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    const addresses: bigint[] = [];
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      addresses.push(base + BigInt(offset));
      offset += part.length;
    }
    this.regions.push({ base, bytes });
    return addresses;
  }

  readonly bindings: DuckDBRawBindings = {
    get_data_from_pointer: (arrayBuffer, pointerOffset, byteCount) => {
      this.reads++;
      const address = new DataView(arrayBuffer as ArrayBuffer).getBigUint64(pointerOffset, true);
      const region = this.regions.find(
        (r) => address >= r.base && address + BigInt(byteCount) <= r.base + BigInt(r.bytes.length),
      );
      if (region === undefined) throw new Error(`read of ${byteCount} bytes at ${address} leaves its region`);
      const start = Number(address - region.base);
      return Buffer.from(region.bytes.slice(start, start + byteCount));
    },
    data_chunk_get_vector: () => unused(),
    vector_get_data: () => unused(),
    vector_get_validity: () => unused(),
    sizeof_bool: 1,
  };
}

function unused(): never {
  throw new Error('not used by the string reader');
}

/** The vector data and validity mask DuckDB would hand out for `entries`. */
function vector(entries: Entry[]): { data: Uint8Array; validity: Uint8Array | null } {
  const data = new Uint8Array(entries.length * 16);
  const view = new DataView(data.buffer);
  const validity = new Uint8Array(Math.ceil(entries.length / 64) * 8).fill(0xff);
  entries.forEach((entry, r) => {
    if (entry === null) {
      validity[r >>> 3] = (validity[r >>> 3] as number) & ~(1 << (r & 7));
      data.fill(0x5a, 16 * r, 16 * r + 16); // whatever a null row holds must not matter
      return;
    }
    view.setUint32(16 * r, entry.bytes.length, true);
    if (entry.address === undefined) {
      data.fill(0xa5, 16 * r + 4, 16 * r + 16); // bytes past the string's length are not part of it
      data.set(entry.bytes, 16 * r + 4);
    } else {
      data.set(entry.bytes.subarray(0, 4), 16 * r + 4);
      view.setBigUint64(16 * r + 8, entry.address, true);
    }
  });
  return { data, validity: entries.includes(null) ? validity : null };
}

/**
 * What the driver gives, its decoder made to keep a leading BOM (duckdb-driver-strings.ts): WHATWG
 * UTF-8 decoding (invalid bytes → U+FFFD), every character kept.
 */
const driverText = (entry: Entry) =>
  entry === null ? null : new TextDecoder('utf-8', { ignoreBOM: true }).decode(entry.bytes);

function read(space: AddressSpace, entries: Entry[]): Value[] {
  const { data, validity } = vector(entries);
  const out: Value[] = [];
  new StringColumnReader(space.bindings).read(data, validity, entries.length, out);
  return out;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const BASE = 0x7f12_3456_0000n;

/** `count` strings of longer than 12 bytes, laid back to back, assigned to rows in a shuffled order. */
function shuffledRun(space: AddressSpace, base: bigint, count: number, label: string): Entry[] {
  const parts = Array.from({ length: count }, (_, i) => utf8(`${label} string ${i} ${'x'.repeat(i % 28)}`));
  const addresses = space.place(base, parts);
  const rows = parts.map((bytes, i) => ({ bytes, address: addresses[i] as bigint }));
  return rows.map((_, i) => rows[(i * 7919) % count] as Entry);
}

describe('StringColumnReader', () => {
  it('copies strings that lie back to back in one read, whatever their row order', () => {
    const space = new AddressSpace();
    const entries = shuffledRun(space, BASE, 2048, 'user');
    expect(read(space, entries)).toStrictEqual(entries.map(driverText));
    expect(space.reads).toBe(1);
  });

  it('never reads the bytes between strings that are not back to back', () => {
    const space = new AddressSpace();
    const first = shuffledRun(space, BASE, 300, 'first');
    const end = (space.regions[0] as { bytes: Uint8Array }).bytes.length;
    const second = shuffledRun(space, BASE + BigInt(end) + 1n, 300, 'second'); // a 1-byte gap
    const third = shuffledRun(space, BASE - 0x10_0000n, 300, 'third'); // below, far away
    const entries = [...first, ...second, ...third].map((_, i, all) => all[(i * 31) % all.length] as Entry);
    expect(read(space, entries)).toStrictEqual(entries.map(driverText));
    expect(space.reads).toBe(3);
  });

  it('reads strings several rows point to, and strings inside other strings', () => {
    const space = new AddressSpace();
    const [outer] = space.place(BASE, [utf8('an outer string that holds another one')]);
    const whole = { bytes: utf8('an outer string that holds another one'), address: outer as bigint };
    const inner = { bytes: utf8('string that holds'), address: (outer as bigint) + 9n };
    const entries: Entry[] = [inner, whole, whole, null, inner, whole];
    expect(read(space, entries)).toStrictEqual(entries.map(driverText));
    expect(space.reads).toBe(1);
  });

  it('copies string by string when addresses are beyond what a double holds exactly', () => {
    const space = new AddressSpace();
    const entries = shuffledRun(space, 2n ** 60n, 50, 'high');
    expect(read(space, entries)).toStrictEqual(entries.map(driverText));
    expect(space.reads).toBe(50);
  });

  it('copies string by string when the strings are too far apart to sort on one number', () => {
    const space = new AddressSpace();
    const entries = [
      ...shuffledRun(space, BASE, 20, 'near'),
      ...shuffledRun(space, BASE + 2n ** 50n, 20, 'far'),
    ];
    expect(read(space, entries)).toStrictEqual(entries.map(driverText));
    expect(space.reads).toBe(40);
  });

  it('decodes as the driver does: multi-byte text, invalid bytes, byte order marks kept', () => {
    const space = new AddressSpace();
    const parts = [
      utf8('héllo wörld ünïcode 🦆 and more'),
      Uint8Array.of(...utf8('ends in half a euro sign '), 0xe2, 0x82), // with the next one: a whole €
      Uint8Array.of(0xac, ...utf8(' starts with its last byte')),
      Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8('a byte order mark first')),
    ];
    const addresses = space.place(BASE, parts);
    const ascii = [Uint8Array.of(...utf8('plain text, '), 0xff, ...utf8(' one invalid byte'))];
    const [asciiAddress] = space.place(BASE + 0x10_0000n, ascii);
    const entries: Entry[] = [
      ...parts.map((bytes, i) => ({ bytes, address: addresses[i] as bigint })),
      { bytes: ascii[0] as Uint8Array, address: asciiAddress as bigint },
      { bytes: Uint8Array.of(0xef, 0xbb, 0xbf, 0x61) }, // inlined, with a byte order mark
      { bytes: utf8('ü🦆') },
    ];
    const out = read(space, entries);
    expect(out).toStrictEqual(entries.map(driverText));
    expect(out[1]).toMatch(/\uFFFD$/);
    expect(out[4]).toBe('plain text, \uFFFD one invalid byte');
    // A leading U+FEFF is a character of the string ("\uFEFFbom-key" is not "bom-key").
    expect(out[3]).toBe('\uFEFFa byte order mark first');
    expect(out[5]).toBe('\uFEFFa');
  });

  it('tells inlined strings apart by their own bytes only, and keeps nulls', () => {
    const space = new AddressSpace();
    const entries: Entry[] = [
      { bytes: utf8('ab') },
      { bytes: Uint8Array.of(0x61, 0x62, 0) },
      null,
      { bytes: utf8('') },
      { bytes: utf8('twelve bytes') },
      { bytes: utf8('ab') },
      { bytes: utf8('twelve byteZ') },
    ];
    const reader = new StringColumnReader(space.bindings);
    const out: Value[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const { data, validity } = vector(entries);
      reader.read(data, validity, entries.length, out);
      expect(out).toStrictEqual(['ab', 'ab\u0000', null, '', 'twelve bytes', 'ab', 'twelve byteZ']);
    }
    expect(space.reads).toBe(0);
  });
});
