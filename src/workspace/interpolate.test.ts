// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about sluice.yaml's ${VAR} syntax.
import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';

describe('interpolate', () => {
  it('replaces ${VAR} from the environment, an empty value counting as set', () => {
    expect(interpolate('postgres://${USER}:${PW}@h/db', { USER: 'u', PW: '' })).toEqual({
      value: 'postgres://u:@h/db',
      substituted: true,
      missing: [],
      malformed: [],
    });
  });

  it('leaves text without references alone', () => {
    expect(interpolate('cost: $5 {x}', {})).toEqual({
      value: 'cost: $5 {x}',
      substituted: false,
      missing: [],
      malformed: [],
    });
  });

  it('reads $${ as a literal ${', () => {
    expect(interpolate('$${A} and ${A}', { A: 'a' })).toMatchObject({
      value: '${A} and a',
      substituted: true,
    });
    expect(interpolate('$${A}', {})).toMatchObject({ value: '${A}', substituted: false, missing: [] });
  });

  it('names each unset variable once', () => {
    expect(interpolate('${A}${B}${A}', { B: 'b' }).missing).toEqual(['A']);
  });

  it('does not take inherited properties for variables', () => {
    expect(interpolate('${toString}', {}).missing).toEqual(['toString']);
  });

  it('refuses references that are not ${NAME}', () => {
    expect(interpolate('${A:-x} ${1B} ${ unclosed', {}).malformed).toEqual(['${A:-x}', '${1B}', '${']);
  });
});
