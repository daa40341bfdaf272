/**
 * VARCHAR vectors → JS strings without a native call per value. A vector holds one 16-byte `string_t`
 * per row (DuckDB's duckdb.h): a uint32 length, then either the string itself when it is at most 12
 * bytes ("inlined"), or a 4-byte prefix and a pointer to the bytes. Inlined strings are decoded from
 * the vector's data; a chunk's pointed-to strings mostly lie back to back in DuckDB's string heap, so
 * they are copied a contiguous run at a time (one `get_data_from_pointer` per run instead of per
 * string: about five runs per 2,048-row chunk in the bench's read). Strings come out exactly as
 * stored, a leading U+FEFF included (the driver's own decoder is made to keep it too:
 * duckdb-driver-strings.ts).
 */
import type { Value } from '../../core/values.js';
import type { DuckDBRawBindings } from './duckdb-client.js';
import { isNull } from './duckdb-validity.js';

const INLINE_LENGTH = 12;
const TWO_32 = 4_294_967_296;
/** Pointers up to 2^53 are exact doubles (x86-64 and arm64 user space is 47–52 bits). */
const EXACT_HIGH_WORD = 2 ** 21;
/** A run is copied in one piece up to this size; a longer one is split (its strings stay whole). */
const RUN_LIMIT = 64 * 1024 * 1024;
/** Slots in each column's cache of inlined strings (names, plans, codes repeat a lot). */
const CACHE_SLOTS = 1024;
const CACHE_SHIFT = 32 - Math.log2(CACHE_SLOTS);

/**
 * UTF-8 bytes → the string, every character kept: Buffer's decoder keeps a leading byte order mark
 * (U+FEFF), which a default `TextDecoder` drops, so "\uFEFFbom-key" stays apart from "bom-key".
 * DuckDB only stores valid UTF-8, so no byte is replaced.
 */
function text(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end);
}

/** The bytes of an inlined string's word `word` (0–2) that belong to it; the rest is masked off. */
function ownBytes(value: number, length: number, word: number): number {
  const own = length - 4 * word;
  return own >= 4 ? value : own <= 0 ? 0 : value & ((1 << (own * 8)) - 1);
}

/** Reads VARCHAR columns; one per column of a query, so each keeps its own cache. */
export class StringColumnReader {
  readonly width = 16;
  readonly #bindings: DuckDBRawBindings;
  readonly #parse: ((text: string) => Value) | undefined;
  /** Per slot: length and the three inline words of the cached string; length -1 marks a free slot. */
  readonly #keys = new Int32Array(CACHE_SLOTS * 4).fill(-1);
  readonly #strings: string[] = new Array(CACHE_SLOTS).fill('');
  // Scratch space for the rows whose strings are not inlined, reused from chunk to chunk.
  #rows = new Int32Array(0);
  #pointers = new Float64Array(0);
  #order = new Float64Array(0);

  /** `parse` turns each string into the column's value (JSON), else the string is the value. */
  constructor(bindings: DuckDBRawBindings, parse?: (text: string) => Value) {
    this.#bindings = bindings;
    this.#parse = parse;
  }

  read(data: Uint8Array, validity: Uint8Array | null, count: number, out: Value[]): void {
    const words = new Int32Array(data.buffer, data.byteOffset, count * 4);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.#rows.length < count) {
      this.#rows = new Int32Array(count);
      this.#pointers = new Float64Array(count);
      this.#order = new Float64Array(count);
    }
    const rows = this.#rows;
    let pointed = 0;
    for (let r = 0; r < count; r++) {
      if (isNull(validity, r)) {
        out[r] = null;
        continue;
      }
      const length = (words[4 * r] as number) >>> 0;
      if (length <= INLINE_LENGTH) out[r] = this.#inlined(bytes, words, r, length);
      else rows[pointed++] = r;
    }
    if (pointed > 0) this.#readPointed(data, words, pointed, out);
    const parse = this.#parse;
    if (parse !== undefined) {
      for (let r = 0; r < count; r++) {
        const v = out[r];
        if (typeof v === 'string') out[r] = parse(v);
      }
    }
  }

  /** An inlined string, from the cache when the same bytes were decoded before. */
  #inlined(bytes: Buffer, words: Int32Array, r: number, length: number): string {
    const w0 = ownBytes(words[4 * r + 1] as number, length, 0);
    const w1 = ownBytes(words[4 * r + 2] as number, length, 1);
    const w2 = ownBytes(words[4 * r + 3] as number, length, 2);
    const hash = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2 + length, 0x85ebca6b), 0xc2b2ae35);
    const slot = hash >>> CACHE_SHIFT;
    const keys = this.#keys;
    const k = slot * 4;
    if (keys[k] === length && keys[k + 1] === w0 && keys[k + 2] === w1 && keys[k + 3] === w2) {
      return this.#strings[slot] as string;
    }
    const start = 16 * r + 4;
    const value = text(bytes, start, start + length);
    keys[k] = length;
    keys[k + 1] = w0;
    keys[k + 2] = w1;
    keys[k + 3] = w2;
    this.#strings[slot] = value;
    return value;
  }

  /**
   * The strings of `rows[0..pointed)`, which live behind pointers. Sorted by address, strings that
   * start at or before the end of the previous one form a run whose every byte belongs to some string
   * of the chunk, so copying the run in one call reads only memory DuckDB handed out for them.
   */
  #readPointed(data: Uint8Array, words: Int32Array, pointed: number, out: Value[]): void {
    const rows = this.#rows;
    const pointers = this.#pointers;
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    let exact = true;
    for (let k = 0; k < pointed; k++) {
      const r = rows[k] as number;
      const hi = (words[4 * r + 3] as number) >>> 0;
      if (hi >= EXACT_HIGH_WORD) exact = false;
      const pointer = hi * TWO_32 + ((words[4 * r + 2] as number) >>> 0);
      pointers[k] = pointer;
      if (pointer < low) low = pointer;
      if (pointer > high) high = pointer;
    }
    // Sort keys pack (address - low, index) into one exact double, so a plain numeric typed-array
    // sort (native, no comparator) orders them; when that does not fit, copy string by string.
    let stride = 1;
    while (stride < pointed) stride *= 2;
    if (!exact || (high - low + 1) * stride > Number.MAX_SAFE_INTEGER) {
      for (let k = 0; k < pointed; k++) {
        const r = rows[k] as number;
        const length = (words[4 * r] as number) >>> 0;
        out[r] = text(this.#copy(data, r, length), 0, length);
      }
      return;
    }
    const order = this.#order.subarray(0, pointed);
    for (let k = 0; k < pointed; k++) order[k] = ((pointers[k] as number) - low) * stride + k;
    order.sort();
    let i = 0;
    while (i < pointed) {
      const first = (order[i] as number) % stride;
      const firstRow = rows[first] as number;
      const start = pointers[first] as number;
      let end = start + ((words[4 * firstRow] as number) >>> 0);
      let j = i + 1;
      for (; j < pointed; j++) {
        const k = (order[j] as number) % stride;
        const pointer = pointers[k] as number;
        const stop = pointer + ((words[4 * (rows[k] as number)] as number) >>> 0);
        if (pointer > end || stop - start > RUN_LIMIT) break;
        if (stop > end) end = stop;
      }
      const run = this.#copy(data, firstRow, end - start);
      // Decoded whole, a run gives one JS character per byte exactly when every byte decodes on its
      // own (ASCII, or an invalid byte → U+FFFD, as it would alone), and then each string is a
      // substring at its byte offsets: V8 makes those slices of the run's text, without a copy (a
      // slice keeps the run's text alive while it lives; the rows of a chunk share it).
      const whole = run.toString('utf8');
      const sliceable = whole.length === run.length;
      for (let m = i; m < j; m++) {
        const k = (order[m] as number) % stride;
        const r = rows[k] as number;
        const offset = (pointers[k] as number) - start;
        const stop = offset + ((words[4 * r] as number) >>> 0);
        out[r] = sliceable ? whole.substring(offset, stop) : text(run, offset, stop);
      }
      i = j;
    }
  }

  /** `length` bytes from the pointer of row `r`'s `string_t`. */
  #copy(data: Uint8Array, r: number, length: number): Buffer {
    const copied = this.#bindings.get_data_from_pointer(data.buffer, data.byteOffset + 16 * r + 8, length);
    return Buffer.from(copied.buffer, copied.byteOffset, copied.byteLength);
  }
}
