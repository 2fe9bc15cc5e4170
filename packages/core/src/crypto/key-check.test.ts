import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from './envelope.js';
import { generateKey, keyCheckValue, matchesKeyCheckValue, rootKeyId } from './key-check.js';

const KEY_A = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEY_B = Buffer.alloc(32, 0x42);

describe('keyCheckValue', () => {
  it('is 128 bits of lower-case hex', () => {
    expect(keyCheckValue(KEY_A)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is deterministic', () => {
    expect(keyCheckValue(KEY_A)).toBe(keyCheckValue(Buffer.from(KEY_A)));
    expect(keyCheckValue(KEY_B)).toBe(keyCheckValue(KEY_B));
  });

  it('is the documented HMAC-SHA256 truncation (frozen: stored in databases)', () => {
    const expected = createHmac('sha256', KEY_A).update('coffer key check value v1').digest().subarray(0, 16).toString('hex');
    expect(keyCheckValue(KEY_A)).toBe(expected);
  });

  it('differs between keys, including keys one bit apart', () => {
    const flipped = Buffer.from(KEY_A);
    flipped[0] = flipped[0]! ^ 1;
    const values = new Set([KEY_A, KEY_B, flipped, generateKey(), generateKey()].map(keyCheckValue));
    expect(values.size).toBe(5);
  });

  it('does not contain the key', () => {
    for (const key of [KEY_A, KEY_B, generateKey()]) {
      const kcv = keyCheckValue(key);
      expect(key.toString('hex')).not.toContain(kcv);
      expect(kcv).not.toContain(key.subarray(0, 8).toString('hex'));
    }
  });
});

describe('matchesKeyCheckValue', () => {
  it('is true for the right key', () => {
    expect(matchesKeyCheckValue(KEY_A, keyCheckValue(KEY_A))).toBe(true);
    expect(matchesKeyCheckValue(KEY_B, keyCheckValue(KEY_B))).toBe(true);
  });

  it('is false for a different key', () => {
    expect(matchesKeyCheckValue(KEY_A, keyCheckValue(KEY_B))).toBe(false);
    expect(matchesKeyCheckValue(KEY_B, keyCheckValue(KEY_A))).toBe(false);
  });

  it('is false for malformed or truncated check values instead of throwing', () => {
    const kcv = keyCheckValue(KEY_A);
    for (const bad of ['', 'zz', kcv.slice(0, 30), `${kcv}00`, 'not hex at all', kcv.slice(0, -1)]) {
      expect(matchesKeyCheckValue(KEY_A, bad)).toBe(false);
    }
  });
});

describe('rootKeyId', () => {
  it('is a u32', () => {
    for (const key of [KEY_A, KEY_B, Buffer.alloc(32), Buffer.alloc(32, 0xff), ...Array.from({ length: 50 }, generateKey)]) {
      const id = rootKeyId(key);
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThanOrEqual(0xffffffff);
    }
  });

  it('is deterministic and frozen (written into every wrapped tenant key header)', () => {
    expect(rootKeyId(KEY_A)).toBe(rootKeyId(Buffer.from(KEY_A)));
    expect(rootKeyId(KEY_A)).toBe(createHmac('sha256', KEY_A).update('coffer root key id v1').digest().readUInt32BE(0));
  });

  it('differs between keys and from the key check value', () => {
    expect(rootKeyId(KEY_A)).not.toBe(rootKeyId(KEY_B));
    expect(keyCheckValue(KEY_A).startsWith(rootKeyId(KEY_A).toString(16).padStart(8, '0'))).toBe(false);
  });
});

describe('generateKey', () => {
  it('gives 32 bytes', () => {
    const key = generateKey();
    expect(Buffer.isBuffer(key)).toBe(true);
    expect(key.length).toBe(32);
    expect(KEY_BYTES).toBe(32);
  });

  it('gives a different random key each time', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateKey().toString('hex')));
    expect(keys.size).toBe(100);
  });

  it('does not give an all-zero key', () => {
    for (let i = 0; i < 10; i++) expect(generateKey().equals(Buffer.alloc(32))).toBe(false);
  });
});
