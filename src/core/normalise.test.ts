import { describe, expect, it } from 'vitest';
import {
  assignField,
  base64FromBytes,
  bigintToValue,
  findDuplicateName,
  finiteOrNull,
  float32ToNumber,
  isoDateFromEpochDays,
  isoDurationFromInterval,
  isoFromDayNanos,
  isoFromEpochMicros,
  isoFromEpochMicrosNumber,
  isoFromEpochMillis,
  isoFromEpochMillisBigInt,
  isoFromEpochNanos,
  isoFromEpochSeconds,
  mapKeyText,
  timeFromMicros,
  timeWithOffset,
} from './normalise.js';
import { normaliseBigInt, type Value } from './values.js';

describe('bigintToValue', () => {
  it.each([
    [0n, 0],
    [-1n, -1],
    [9007199254740991n, 9007199254740991],
    [-9007199254740991n, -9007199254740991],
    [9007199254740992n, '9007199254740992'],
    [9007199254740993n, '9007199254740993'],
    [-9007199254740993n, '-9007199254740993'],
    [9223372036854775807n, '9223372036854775807'],
    [2n ** 127n, '170141183460469231731687303715884105728'],
  ])('%s → %j, like normaliseBigInt', (input, expected) => {
    expect(bigintToValue(input)).toBe(expected);
    expect(bigintToValue(input)).toBe(normaliseBigInt(input));
  });
});

describe('isoFromEpochMillis', () => {
  it('matches Date#toISOString across its whole range', () => {
    const samples = [
      0, 1, -1, 999, -999, 86_399_999, -86_400_000, 951_782_400_000, 1_704_164_645_678, 8.64e15, -8.64e15,
    ];
    let seed = 42;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      samples.push(Math.round((seed / 2 ** 31 - 0.5) * 2 * 8.64e15));
      samples.push(1_700_000_000_000 + seed);
    }
    for (const ms of samples) expect(isoFromEpochMillis(ms)).toBe(new Date(ms).toISOString());
  });

  it.each([
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [8.64e15 + 1, '+275760-09-13T00:00:00.001Z'],
    [-8.64e15 - 1, '-271821-04-19T23:59:59.999Z'],
    [1.9, '1970-01-01T00:00:00.001Z'],
    [-0.5, '1969-12-31T23:59:59.999Z'],
  ])('%s → %s', (input, expected) => {
    expect(isoFromEpochMillis(input)).toBe(expected);
  });
});

describe('epoch conversions', () => {
  it.each([
    ['micros', isoFromEpochMicros(1_704_164_645_678_900n), '2024-01-02T03:04:05.6789Z'],
    ['micros on the millisecond', isoFromEpochMicros(1_704_164_645_678_000n), '2024-01-02T03:04:05.678Z'],
    ['micros 100 µs apart', isoFromEpochMicros(1_704_164_645_000_100n), '2024-01-02T03:04:05.0001Z'],
    ['micros before 1970', isoFromEpochMicros(-1n), '1969-12-31T23:59:59.999999Z'],
    ['micros -1000 exactly', isoFromEpochMicros(-1000n), '1969-12-31T23:59:59.999Z'],
    ['micros -1001', isoFromEpochMicros(-1001n), '1969-12-31T23:59:59.998999Z'],
    ['micros beyond 2^53', isoFromEpochMicros(10_000_000_000_001_234n), '2286-11-20T17:46:40.001234Z'],
    ['micros beyond Date', isoFromEpochMicros(9_007_199_254_740_993_000n), '+287396-10-12T08:59:00.993Z'],
    [
      'micros at DuckDB max',
      isoFromEpochMicros(9_223_372_036_854_775_806n),
      '+294247-01-10T04:00:54.775806Z',
    ],
    ['micros at DuckDB min', isoFromEpochMicros(-9_223_372_022_400_000_000n), '-290308-12-22T00:00:00.000Z'],
    ['micros infinity', isoFromEpochMicros(9_223_372_036_854_775_807n), null],
    ['micros -infinity', isoFromEpochMicros(-9_223_372_036_854_775_807n), null],
    ['micros as number', isoFromEpochMicrosNumber(-86_400_000_001), '1969-12-30T23:59:59.999999Z'],
    [
      'millis bigint beyond 2^53',
      isoFromEpochMillisBigInt(9_223_372_036_854_775n),
      '+294247-01-10T04:00:54.775Z',
    ],
    ['millis infinity', isoFromEpochMillisBigInt(9_223_372_036_854_775_807n), null],
    ['seconds', isoFromEpochSeconds(1_704_164_645n), '2024-01-02T03:04:05.000Z'],
    ['seconds as number', isoFromEpochSeconds(-1), '1969-12-31T23:59:59.000Z'],
    ['seconds infinity', isoFromEpochSeconds(9_223_372_036_854_775_807n), null],
    ['nanos', isoFromEpochNanos(1_704_164_645_678_999_999n), '2024-01-02T03:04:05.678999999Z'],
    [
      'nanos trailing zeros trimmed',
      isoFromEpochNanos(1_704_164_645_678_900_000n),
      '2024-01-02T03:04:05.6789Z',
    ],
    ['nanos before 1970', isoFromEpochNanos(-1n), '1969-12-31T23:59:59.999999999Z'],
    ['nanos infinity', isoFromEpochNanos(9_223_372_036_854_775_807n), null],
    ['day and nanos', isoFromDayNanos(0, 86_399_999_999_999), '1970-01-01T23:59:59.999999999Z'],
  ])('%s', (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('micros near the exact-double boundary agree with bigint arithmetic', () => {
    for (const micros of [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) + 1n, -(2n ** 53n) - 1n]) {
      const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
      const rest = micros - ms * 1000n;
      const iso = new Date(Number(ms)).toISOString();
      const expected =
        rest === 0n ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, '0').replace(/0+$/, '')}Z`;
      expect(isoFromEpochMicros(micros)).toBe(expected);
    }
  });
});

describe('isoDateFromEpochDays', () => {
  it.each([
    [0, '1970-01-01'],
    [-1, '1969-12-31'],
    [19_782, '2024-02-29'],
    [-719_162, '0001-01-01'],
    [-719_528, '0000-01-01'],
    [-719_529, '-000001-12-31'],
    [2_932_897, '+010000-01-01'],
    [100_000_001, '+275760-09-14'],
    [2_147_483_646, '+5881580-07-10'],
    [-2_147_483_646, '-5877641-06-25'],
    [2_147_483_647, null],
    [-2_147_483_647, null],
  ])('%i → %s', (days, expected) => {
    expect(isoDateFromEpochDays(days)).toBe(expected);
  });
});

describe('times', () => {
  it.each([
    [0n, '00:00:00'],
    [45_296_000_000n, '12:34:56'],
    [45_296_789_000n, '12:34:56.789'],
    [45_296_789_999n, '12:34:56.789999'],
    [45_296_789_100n, '12:34:56.7891'],
    [1000n, '00:00:00.001'],
    [999n, '00:00:00.000999'],
    [86_400_000_000n, '24:00:00'],
    [3_600_000_000, '01:00:00'],
  ])('timeFromMicros(%s) → %s', (micros, expected) => {
    expect(timeFromMicros(micros)).toBe(expected);
  });

  it.each([
    [45_296_789_000n, 19_800, '12:34:56.789+05:30'],
    [3_723_000_000n, -28_800, '01:02:03-08:00'],
    [0n, 0, '00:00:00+00:00'],
    [0n, -57_599, '00:00:00-15:59'],
  ])('timeWithOffset(%s, %i) → %s', (micros, offset, expected) => {
    expect(timeWithOffset(micros, offset)).toBe(expected);
  });
});

describe('isoDurationFromInterval', () => {
  it.each([
    [0, 0, 0n, 'PT0S'],
    [14, 3, 14_706_500_000n, 'P1Y2M3DT4H5M6.5S'],
    [12, 0, 0n, 'P1Y'],
    [-2, 3, 0n, 'P-2M3D'],
    [-14, 0, 0n, 'P-1Y-2M'],
    [0, 0, -5_400_000_000n, 'PT-1H-30M'],
    [0, 0, 1n, 'PT0.000001S'],
    [0, 0, -1_500_000n, 'PT-1.5S'],
    [0, 1, 90_000_000_000n, 'P1DT25H'],
  ])('(%i months, %i days, %s µs) → %s', (months, days, micros, expected) => {
    expect(isoDurationFromInterval(months, days, micros)).toBe(expected);
  });
});

describe('numbers', () => {
  it.each([
    [1.5, 1.5],
    [Number.NaN, null],
    [Number.NEGATIVE_INFINITY, null],
  ])('finiteOrNull(%s) → %s', (n, expected) => {
    expect(finiteOrNull(n)).toBe(expected);
  });

  it.each([
    [Math.fround(0.1), 0.1],
    [Math.fround(1.1), 1.1],
    [Math.fround(3.4028234663852886e38), 3.4028235e38],
    [Math.fround(1e-45), 1e-45],
    [Math.fround(16777217), 16777216],
    [Math.fround(-2.5), -2.5],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
  ])('float32ToNumber(%s) → %s', (f, expected) => {
    expect(float32ToNumber(f)).toBe(expected);
  });

  it('float32ToNumber always reads back to the same float', () => {
    for (let i = 1; i < 5000; i++) {
      const f = Math.fround(i / 977);
      const n = float32ToNumber(f) as number;
      expect(Math.fround(n)).toBe(f);
      expect(Number(n.toPrecision(9))).toBe(n);
    }
  });
});

describe('objects', () => {
  it('base64FromBytes respects the view’s offset', () => {
    const buffer = new Uint8Array([0, 0xaa, 0xbb, 0]);
    expect(base64FromBytes(buffer.subarray(1, 3))).toBe('qrs=');
    expect(base64FromBytes(new Uint8Array())).toBe('');
  });

  it('assignField keeps "__proto__" as a field', () => {
    const target: Record<string, Value> = {};
    assignField(target, '__proto__', { polluted: true });
    assignField(target, 'a', 1);
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(target)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it.each([
    ['k', 'k'],
    [1, '1'],
    [true, 'true'],
    [null, 'null'],
    [[1, 2], '[1,2]'],
    [{ a: 1 }, '{"a":1}'],
  ] as [Value, string][])('mapKeyText(%j) → %s', (key, expected) => {
    expect(mapKeyText(key)).toBe(expected);
  });

  it('findDuplicateName finds the first repeated name', () => {
    expect(findDuplicateName(['a', 'b', 'c'])).toBeUndefined();
    expect(findDuplicateName(['a', 'b', 'a', 'b'])).toBe('a');
  });
});
