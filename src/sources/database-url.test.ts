import { describe, expect, it } from 'vitest';
import type { SluiceError } from '../core/errors.js';
import { parseDatabaseUrl, redactSecret } from './database-url.js';

const KNOWN = ['sslmode', 'host'];

describe('parseDatabaseUrl', () => {
  it('takes the URL apart, decoding percent-escapes', () => {
    const url = parseDatabaseUrl(
      'postgres://us%40er:p%40ss%3Aw%2Frd@db.example.com:6543/my%20db?sslmode=require',
      'app',
      'postgres',
      KNOWN,
    );
    expect(url).toMatchObject({
      host: 'db.example.com',
      port: 6543,
      user: 'us@er',
      password: 'p@ss:w/rd',
      database: 'my db',
    });
    expect([...url.params]).toEqual([['sslmode', 'require']]);
  });

  it('handles IPv6 hosts, missing parts and a lone % in a password', () => {
    expect(parseDatabaseUrl('postgres://[::1]/db', 'app', 'postgres', KNOWN)).toMatchObject({
      host: '::1',
      port: undefined,
      user: undefined,
      password: undefined,
      database: 'db',
    });
    expect(
      parseDatabaseUrl('postgres:///db?host=/var/run/postgresql', 'app', 'postgres', KNOWN).params.get(
        'host',
      ),
    ).toBe('/var/run/postgresql');
    expect(parseDatabaseUrl('mysql://u:100%@h/db', 'crm', 'mysql', KNOWN).password).toBe('100%');
  });

  it('refuses an unknown parameter and a malformed URL without printing the URL', () => {
    const unknown = (() => {
      try {
        parseDatabaseUrl('postgres://u:hunter2-secret@h/db?sslmdoe=require', 'app', 'postgres', KNOWN);
      } catch (e) {
        return e as SluiceError;
      }
    })();
    expect(unknown?.code).toBe('config_invalid');
    expect(unknown?.message).toContain('source "app" (postgres): the url has the parameter "sslmdoe"');
    expect(unknown?.message).toContain('sslmode, host');
    expect(unknown?.message).not.toContain('hunter2-secret');
    expect(() => parseDatabaseUrl('not a url hunter2-secret', 'app', 'postgres', KNOWN)).toThrow(
      /is not a valid URL/,
    );
  });
});

describe('redactSecret', () => {
  it('replaces the secret and its percent-encoded form', () => {
    expect(redactSecret('bad p@ss/word and p%40ss%2Fword', 'p@ss/word')).toBe('bad [secret] and [secret]');
  });

  it('leaves messages alone for no secret or a very short one', () => {
    expect(redactSecret('password authentication failed', undefined)).toBe('password authentication failed');
    expect(redactSecret('a b c', 'a')).toBe('a b c');
  });
});
