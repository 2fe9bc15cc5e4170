import { describe, expect, it } from 'vitest';
import { CofferError, type ErrorCode } from '../errors.js';
import {
  checkCas,
  checkMaxVersions,
  checkMetadata,
  checkSecretName,
  checkSecretType,
  checkTenantId,
  checkValueShape,
  checkVersion,
  decodeValue,
  encodeValue,
  MAX_MAX_VERSIONS,
  MAX_METADATA_BYTES,
  MAX_VALUE_BYTES,
  SECRET_TYPES,
} from './values.js';
import { expectCode, thrown } from '../../test/expect-code.js';


describe('checkTenantId', () => {
  it.each(['a', 'A', '0', 'acme', 'acme-corp', 'acme_corp', 'acme.eu', 'Tenant.42_x-y', 'x'.repeat(64), '9'.repeat(64)])(
    'accepts %j',
    (id) => {
      expect(checkTenantId(id)).toBe(id);
    },
  );

  it.each<unknown>([
    '',
    'x'.repeat(65),
    '-acme',
    '_acme',
    '.acme',
    'ac me',
    'acme/x',
    'acme\n',
    '\nacme',
    'acmé',
    'ａcme',
    'acme:1',
    'acme@x',
    undefined,
    null,
    42,
    ['acme'],
    { id: 'acme' },
  ])('refuses %j with TENANT_ID_INVALID', (id) => {
    expectCode(() => checkTenantId(id), 'TENANT_ID_INVALID');
  });
});

describe('checkSecretName', () => {
  it.each(['k', 'stripe', 'STRIPE_KEY', 'stripe.live-key_2', '0', 'n'.repeat(128)])('accepts %j', (name) => {
    expect(checkSecretName(name)).toBe(name);
  });

  it.each<unknown>(['', 'n'.repeat(129), '-x', '_x', '.x', 'a b', 'a/b', 'a\\b', 'key\n', 'clé', '🔑', undefined, null, 7, {}])(
    'refuses %j with SECRET_NAME_INVALID',
    (name) => {
      expectCode(() => checkSecretName(name), 'SECRET_NAME_INVALID');
    },
  );
});

describe('checkSecretType', () => {
  it('knows the documented types', () => {
    expect([...SECRET_TYPES]).toEqual(['generic', 'api_key', 'oauth2', 'basic', 'password', 'webhook_secret', 'private_key']);
  });

  it.each([...SECRET_TYPES])('accepts %s', (type) => {
    expect(checkSecretType(type)).toBe(type);
  });

  it.each<unknown>(['', 'Generic', 'API_KEY', 'apikey', 'basic ', 'token', undefined, null, 1, ['basic']])(
    'refuses %j with SECRET_TYPE_INVALID',
    (type) => {
      const err = expectCode(() => checkSecretType(type), 'SECRET_TYPE_INVALID');
      expect(err.message).toContain('api_key');
    },
  );
});

describe('checkMetadata', () => {
  it('returns the JSON text of an object', () => {
    expect(checkMetadata({})).toBe('{}');
    expect(checkMetadata({ owner: 'payments', rotated: 3, tags: ['a'], nested: { ok: true } })).toBe(
      '{"owner":"payments","rotated":3,"tags":["a"],"nested":{"ok":true}}',
    );
  });

  it.each<unknown>([null, undefined, 'text', 42, true, [], [1, 2]])('refuses %j with METADATA_INVALID', (metadata) => {
    expectCode(() => checkMetadata(metadata), 'METADATA_INVALID');
  });

  it(`accepts ${MAX_METADATA_BYTES} bytes of JSON and refuses one more (UTF-8 bytes)`, () => {
    const overhead = '{"a":""}'.length;
    expect(checkMetadata({ a: 'x'.repeat(MAX_METADATA_BYTES - overhead) }).length).toBe(MAX_METADATA_BYTES);
    expectCode(() => checkMetadata({ a: 'x'.repeat(MAX_METADATA_BYTES - overhead + 1) }), 'METADATA_INVALID');
    // "é" is two UTF-8 bytes: half as many characters reach the limit.
    expect(() => checkMetadata({ a: 'é'.repeat((MAX_METADATA_BYTES - overhead) / 2) })).not.toThrow();
    expectCode(() => checkMetadata({ a: 'é'.repeat((MAX_METADATA_BYTES - overhead) / 2) + 'x' }), 'METADATA_INVALID');
  });

  // The object check runs on what JSON.stringify produces: a Date or a toJSON() may turn an object
  // into a JSON string or array.
  it('refuses a Date, whose JSON is a string, with METADATA_INVALID', () => {
    expectCode(() => checkMetadata(new Date(0)), 'METADATA_INVALID');
  });

  it('refuses an object whose toJSON gives an array, with METADATA_INVALID', () => {
    expectCode(() => checkMetadata({ toJSON: () => [1, 2] }), 'METADATA_INVALID');
  });

  // Unserialisable metadata is a METADATA_INVALID CofferError, not a raw TypeError.
  it('refuses BigInt fields with METADATA_INVALID', () => {
    expectCode(() => checkMetadata({ n: 1n }), 'METADATA_INVALID');
  });

  it('refuses circular metadata with METADATA_INVALID', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expectCode(() => checkMetadata(circular), 'METADATA_INVALID');
  });
});

describe('checkVersion, checkCas, checkMaxVersions', () => {
  it.each([1, 2, 1000, 0x7fffffff])('checkVersion accepts %i', (n) => {
    expect(checkVersion(n)).toBe(n);
  });

  it.each<unknown>([0, -1, 1.5, 0x80000000, Number.NaN, Number.POSITIVE_INFINITY, '1', null, undefined])(
    'checkVersion refuses %j with INVALID_ARGUMENT',
    (n) => {
      expectCode(() => checkVersion(n), 'INVALID_ARGUMENT');
    },
  );

  it('checkVersion names the argument in its message', () => {
    expect(expectCode(() => checkVersion(0, 'tenant key version'), 'INVALID_ARGUMENT').message).toContain('tenant key version');
  });

  it.each([0, 1, 17, 0x7fffffff])('checkCas accepts %i', (n) => {
    expect(checkCas(n)).toBe(n);
  });

  it.each<unknown>([-1, 0.5, 0x80000000, Number.NaN, '0', null, undefined, true])('checkCas refuses %j with INVALID_ARGUMENT', (n) => {
    expectCode(() => checkCas(n), 'INVALID_ARGUMENT');
  });

  it.each([1, 10, MAX_MAX_VERSIONS])('checkMaxVersions accepts %i', (n) => {
    expect(checkMaxVersions(n)).toBe(n);
  });

  it.each<unknown>([0, -1, MAX_MAX_VERSIONS + 1, 2.5, '10', null])('checkMaxVersions refuses %j with INVALID_ARGUMENT', (n) => {
    expectCode(() => checkMaxVersions(n), 'INVALID_ARGUMENT');
  });
});

describe('encodeValue and decodeValue', () => {
  it.each(['x', 'sk_live_abc123', 'päss wörd 🔑 秘密', ' leading and trailing spaces ', 'line1\nline2\r\n', '{"looks":"like json"}', '0'])(
    'round-trips the string %j',
    (value) => {
      const payload = encodeValue(value);
      expect(payload[0]).toBe(0);
      expect(payload.subarray(1).toString('utf8')).toBe(value);
      expect(decodeValue(payload)).toBe(value);
    },
  );

  it.each([
    { client_id: 'abc', client_secret: 'xyz' },
    { username: 'alice', password: 'hunter2' },
    { host: 'db.local', port: 5432, tls: true, note: null, ratio: -0.5 },
    { 'field.with-dots_and-dashes': 'é🔑', F: '' },
    { ['f'.repeat(128)]: 'long field name' },
  ])('round-trips the flat object %j', (value) => {
    const payload = encodeValue(value);
    expect(payload[0]).toBe(1);
    expect(decodeValue(payload)).toEqual(value);
  });

  it('keeps a string that looks like JSON a string', () => {
    expect(decodeValue(encodeValue('{"a":1}'))).toBe('{"a":1}');
  });

  it('accepts exactly 64 KiB, measured in UTF-8 bytes, and refuses one byte more', () => {
    expect(MAX_VALUE_BYTES).toBe(65536);
    const ascii = 'a'.repeat(65536);
    expect(encodeValue(ascii).length).toBe(65537);
    expect(decodeValue(encodeValue(ascii))).toBe(ascii);
    const tooBig = expectCode(() => encodeValue('a'.repeat(65537)), 'SECRET_VALUE_TOO_LARGE');
    expect(tooBig.details).toEqual({ limit: 65536, size: 65537 });
    expect(tooBig.message).not.toContain('aaaa');

    // Two-byte characters: 32768 of them are 65536 bytes (but only 32768 UTF-16 units).
    const accented = 'é'.repeat(32768);
    expect(decodeValue(encodeValue(accented))).toBe(accented);
    expectCode(() => encodeValue(accented + 'a'), 'SECRET_VALUE_TOO_LARGE');
    // Four-byte characters: 16384 emoji are 65536 bytes.
    expect(() => encodeValue('🔑'.repeat(16384))).not.toThrow();
    expectCode(() => encodeValue('🔑'.repeat(16384) + 'a'), 'SECRET_VALUE_TOO_LARGE');
    // A string under 65536 UTF-16 units can still be too large in UTF-8.
    expectCode(() => encodeValue('秘'.repeat(30000)), 'SECRET_VALUE_TOO_LARGE');
  });

  it('measures a structured value by its JSON text', () => {
    const overhead = '{"k":""}'.length;
    expect(() => encodeValue({ k: 'a'.repeat(65536 - overhead) })).not.toThrow();
    expectCode(() => encodeValue({ k: 'a'.repeat(65537 - overhead) }), 'SECRET_VALUE_TOO_LARGE');
  });

  it.each<[string, unknown]>([
    ['empty string', ''],
    ['empty object', {}],
    ['nested object', { a: { b: 'c' } }],
    ['array field', { a: ['x'] }],
    ['top-level array', ['a', 'b']],
    ['empty array', []],
    ['null', null],
    ['undefined', undefined],
    ['number', 42],
    ['boolean', true],
    ['undefined field', { a: undefined }],
    ['function field', { a: () => 'x' }],
    ['bigint field', { a: 1n }],
    ['empty field name', { '': 'x' }],
    ['field name with space', { 'a b': 'x' }],
    ['field name too long', { ['f'.repeat(129)]: 'x' }],
    ['non-ASCII field name', { 'clé': 'x' }],
  ])('refuses %s with SECRET_VALUE_INVALID', (_label, value) => {
    expectCode(() => encodeValue(value), 'SECRET_VALUE_INVALID');
  });

  it('never echoes the value in its errors', () => {
    const canary = 'CANARY-secret-value-41c9';
    for (const value of [{ nested: { canary } }, { 'bad name': canary }, { ok: canary, arr: [canary] }]) {
      const err = thrown(() => encodeValue(value)) as CofferError;
      expect(err.code).toBe('SECRET_VALUE_INVALID');
      expect(err.message).not.toContain(canary);
      expect(JSON.stringify(err)).not.toContain(canary);
    }
    const big = expectCode(() => encodeValue(canary.repeat(3000)), 'SECRET_VALUE_TOO_LARGE');
    expect(big.message + JSON.stringify(big)).not.toContain(canary);
  });

  it('refuses a payload with an unknown kind byte with CIPHERTEXT_MALFORMED', () => {
    expectCode(() => decodeValue(Buffer.from([2, 0x61])), 'CIPHERTEXT_MALFORMED');
    expectCode(() => decodeValue(Buffer.from([0xff])), 'CIPHERTEXT_MALFORMED');
    expectCode(() => decodeValue(Buffer.alloc(0)), 'CIPHERTEXT_MALFORMED');
  });

  // Non-finite numbers would be turned into null by JSON,
  // so the value read back is not the value written.
  it('refuses (or preserves) non-finite number fields', () => {
    const value = { a: Number.NaN, b: Number.POSITIVE_INFINITY };
    let decoded: unknown;
    try {
      decoded = decodeValue(encodeValue(value));
    } catch (err) {
      expect((err as CofferError).code).toBe('SECRET_VALUE_INVALID');
      return;
    }
    expect(decoded).toEqual(value);
  });
});

describe('checkValueShape', () => {
  it('accepts a basic value with string username and password, extra fields allowed', () => {
    expect(() => checkValueShape({ username: 'alice', password: 'pw' }, 'basic')).not.toThrow();
    expect(() => checkValueShape({ username: '', password: '', realm: 'x' }, 'basic')).not.toThrow();
  });

  it.each<[string, unknown]>([
    ['a string', 'alice:pw'],
    ['null', null],
    ['missing password', { username: 'alice' }],
    ['missing username', { password: 'pw' }],
    ['numeric password', { username: 'alice', password: 1234 }],
    ['null username', { username: null, password: 'pw' }],
    ['wrong field names', { user: 'alice', pass: 'pw' }],
  ])('refuses %s for basic with SECRET_VALUE_INVALID', (_label, value) => {
    const err = expectCode(() => checkValueShape(value, 'basic'), 'SECRET_VALUE_INVALID');
    expect(err.message).toContain('username');
  });

  it('puts no shape on the other types', () => {
    for (const type of SECRET_TYPES.filter((t) => t !== 'basic')) {
      expect(() => checkValueShape('anything', type)).not.toThrow();
      expect(() => checkValueShape({ x: 1 }, type)).not.toThrow();
    }
  });
});
