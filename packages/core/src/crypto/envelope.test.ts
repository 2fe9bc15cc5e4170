import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CofferError, type ErrorCode } from '../errors.js';
import {
  encodeContext,
  FORMAT_VERSION,
  HEADER_BYTES,
  KEY_BYTES,
  NONCE_BYTES,
  open,
  OVERHEAD_BYTES,
  readKeyId,
  seal,
  sealWithNonce,
  TAG_BYTES,
  type CipherContext,
  type Purpose,
} from './envelope.js';
import { expectCode, thrown } from '../../test/expect-code.js';

interface Vector {
  name: string;
  keyHex: string;
  keyId: number;
  nonceHex: string;
  context: CipherContext;
  plaintextHex: string;
  sealedHex: string;
}

const vectorFile = JSON.parse(readFileSync(new URL('./testdata/envelope-vectors.json', import.meta.url), 'utf8')) as {
  format: number;
  vectors: Vector[];
};

/** Obviously fake test keys. */
const KEY_A = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEY_B = Buffer.alloc(32, 0x42);
const CTX: CipherContext = { purpose: 'value', tenant: 'acme', secret: 'sec_1', version: 1 };
const PURPOSES: Purpose[] = ['tenant-key', 'data-key', 'value', 'mask'];


function flip(blob: Buffer, byte: number, bit: number): Buffer {
  const copy = Buffer.from(blob);
  copy[byte] = copy[byte]! ^ (1 << bit);
  return copy;
}

describe('committed test vectors (format 1 is frozen)', () => {
  it('has at least four vectors covering every purpose and the required plaintext sizes', () => {
    expect(vectorFile.format).toBe(FORMAT_VERSION);
    expect(vectorFile.vectors.length).toBeGreaterThanOrEqual(4);
    expect(new Set(vectorFile.vectors.map((v) => v.context.purpose))).toEqual(new Set(PURPOSES));
    const sizes = vectorFile.vectors.map((v) => v.plaintextHex.length / 2);
    expect(sizes).toContain(0);
    expect(sizes).toContain(1);
    expect(sizes).toContain(300);
    const utf8 = vectorFile.vectors.map((v) => Buffer.from(v.plaintextHex, 'hex').toString('utf8'));
    expect(utf8.some((s) => /[^\x00-\x7f]/.test(s) && Buffer.from(s, 'utf8').length > [...s].length)).toBe(true);
  });

  describe.each(vectorFile.vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const key = Buffer.from(v.keyHex, 'hex');
    const nonce = Buffer.from(v.nonceHex, 'hex');
    const plaintext = Buffer.from(v.plaintextHex, 'hex');
    const sealed = Buffer.from(v.sealedHex, 'hex');

    it('uses well-formed inputs', () => {
      expect(key.length).toBe(KEY_BYTES);
      expect(nonce.length).toBe(NONCE_BYTES);
      expect(sealed.length).toBe(plaintext.length + OVERHEAD_BYTES);
    });

    it('sealWithNonce reproduces the vector byte for byte', () => {
      expect(sealWithNonce(key, v.keyId, plaintext, v.context, nonce).toString('hex')).toBe(v.sealedHex);
    });

    it('open decrypts the vector back to its plaintext', () => {
      expect(open(key, sealed, v.context).toString('hex')).toBe(v.plaintextHex);
    });

    it('readKeyId returns the key id of the vector', () => {
      expect(readKeyId(sealed)).toBe(v.keyId);
    });
  });
});

describe('seal and open', () => {
  it.each([0, 1, 15, 16, 17, 255, 1024, 4096, 65535, 65536])('round-trips %i bytes', (size) => {
    const plaintext = Buffer.alloc(size);
    for (let i = 0; i < size; i++) plaintext[i] = (i * 31 + 7) & 0xff;
    const blob = seal(KEY_A, 9, plaintext, CTX);
    expect(blob.length).toBe(size + OVERHEAD_BYTES);
    expect(open(KEY_A, blob, CTX).equals(plaintext)).toBe(true);
  });

  it('round-trips for every purpose and a context without a secret', () => {
    for (const purpose of PURPOSES) {
      const ctx: CipherContext = { purpose, tenant: 'acme', version: 3 };
      expect(open(KEY_B, seal(KEY_B, 1, Buffer.from('hello'), ctx), ctx).toString()).toBe('hello');
    }
  });

  it('opens a plain Uint8Array view that starts inside a larger buffer', () => {
    const blob = seal(KEY_A, 5, Buffer.from('inside'), CTX);
    const backing = new Uint8Array(blob.length + 20);
    backing.set(blob, 7);
    const view = new Uint8Array(backing.buffer, 7, blob.length);
    expect(readKeyId(view)).toBe(5);
    expect(open(KEY_A, view, CTX).toString()).toBe('inside');
  });

  it('uses a fresh random nonce: two seals of the same input differ', () => {
    const pt = Buffer.from('same input');
    const a = seal(KEY_A, 1, pt, CTX);
    const b = seal(KEY_A, 1, pt, CTX);
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES).equals(b.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES))).toBe(false);
    expect(open(KEY_A, a, CTX).equals(pt)).toBe(true);
    expect(open(KEY_A, b, CTX).equals(pt)).toBe(true);
  });

  it.each([0, 1, 255, 256, 0x01020304, 0x7fffffff, 0x80000000, 0xffffffff])('readKeyId returns key id %i', (keyId) => {
    expect(readKeyId(seal(KEY_A, keyId, Buffer.from('x'), CTX))).toBe(keyId);
  });

  it('lays out the header as documented', () => {
    const pt = Buffer.from('twelve bytes');
    const blob = seal(KEY_A, 0xa1b2c3d4, pt, CTX);
    expect(blob[0]).toBe(1);
    expect(blob.readUInt32BE(1)).toBe(0xa1b2c3d4);
    expect([...blob.subarray(1, 5)]).toEqual([0xa1, 0xb2, 0xc3, 0xd4]);
    expect(blob.length).toBe(pt.length + 33);
    expect(OVERHEAD_BYTES).toBe(33);
    expect(HEADER_BYTES + NONCE_BYTES + TAG_BYTES).toBe(33);
    // The plaintext does not appear in the clear.
    expect(blob.includes(pt)).toBe(false);
  });

  it('refuses keys that are not 32 bytes, nonces that are not 12 bytes and out-of-range key ids', () => {
    for (const len of [0, 16, 31, 33, 64]) {
      expectCode(() => seal(Buffer.alloc(len, 1), 1, Buffer.from('x'), CTX), 'INVALID_ARGUMENT');
      expectCode(() => open(Buffer.alloc(len, 1), seal(KEY_A, 1, Buffer.from('x'), CTX), CTX), 'INVALID_ARGUMENT');
    }
    for (const len of [0, 8, 11, 13, 16]) {
      expectCode(() => sealWithNonce(KEY_A, 1, Buffer.from('x'), CTX, Buffer.alloc(len)), 'INVALID_ARGUMENT');
    }
    for (const keyId of [-1, 0x100000000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectCode(() => seal(KEY_A, keyId, Buffer.from('x'), CTX), 'INVALID_ARGUMENT');
    }
  });
});

describe('tampering', () => {
  // A small blob: 8-byte plaintext, 41 bytes in all.
  const PT = Buffer.from('8 bytes!');
  const BLOB = sealWithNonce(KEY_A, 0x00c0ffee, PT, CTX, Buffer.from('0123456789ab'));

  function region(i: number): string {
    if (i === 0) return 'version';
    if (i < HEADER_BYTES) return 'key id';
    if (i < HEADER_BYTES + NONCE_BYTES) return 'nonce';
    if (i < BLOB.length - TAG_BYTES) return 'ciphertext';
    return 'tag';
  }

  it('covers every region in the small blob', () => {
    expect(BLOB.length).toBe(41);
    expect(new Set(Array.from({ length: BLOB.length }, (_, i) => region(i)))).toEqual(
      new Set(['version', 'key id', 'nonce', 'ciphertext', 'tag']),
    );
    expect(open(KEY_A, BLOB, CTX).equals(PT)).toBe(true);
  });

  it('flipping any bit of the format version byte gives CIPHERTEXT_UNSUPPORTED_FORMAT', () => {
    for (let bit = 0; bit < 8; bit++) {
      const bad = flip(BLOB, 0, bit);
      expectCode(() => open(KEY_A, bad, CTX), 'CIPHERTEXT_UNSUPPORTED_FORMAT');
      expectCode(() => readKeyId(bad), 'CIPHERTEXT_UNSUPPORTED_FORMAT');
    }
  });

  it('flipping any bit of any other byte (key id, nonce, ciphertext, tag) gives DECRYPTION_FAILED', () => {
    const seen: Record<string, number> = {};
    for (let i = 1; i < BLOB.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const err = expectCode(() => open(KEY_A, flip(BLOB, i, bit), CTX), 'DECRYPTION_FAILED');
        expect(err.details).toEqual({ purpose: 'value' });
        seen[region(i)] = (seen[region(i)] ?? 0) + 1;
      }
    }
    expect(seen).toEqual({ 'key id': 4 * 8, nonce: 12 * 8, ciphertext: 8 * 8, tag: 16 * 8 });
  });

  it('a flipped key id still parses (the header is authenticated, not validated)', () => {
    expect(readKeyId(flip(BLOB, 4, 0))).toBe(0x00c0ffef);
  });

  it('truncation below the minimum length gives CIPHERTEXT_MALFORMED', () => {
    for (let len = 0; len < OVERHEAD_BYTES; len++) {
      const cut = BLOB.subarray(0, len);
      expectCode(() => open(KEY_A, cut, CTX), 'CIPHERTEXT_MALFORMED');
      expectCode(() => readKeyId(cut), 'CIPHERTEXT_MALFORMED');
    }
    expectCode(() => open(KEY_A, new Uint8Array(0), CTX), 'CIPHERTEXT_MALFORMED');
  });

  it('truncation that keeps the minimum length gives DECRYPTION_FAILED', () => {
    for (let len = OVERHEAD_BYTES; len < BLOB.length; len++) {
      expectCode(() => open(KEY_A, BLOB.subarray(0, len), CTX), 'DECRYPTION_FAILED');
    }
    // Dropping bytes from the front (keeping the header) fails too.
    const spliced = Buffer.concat([BLOB.subarray(0, HEADER_BYTES + NONCE_BYTES), BLOB.subarray(HEADER_BYTES + NONCE_BYTES + 1)]);
    expectCode(() => open(KEY_A, spliced, CTX), 'DECRYPTION_FAILED');
  });

  it('appending bytes gives DECRYPTION_FAILED', () => {
    expectCode(() => open(KEY_A, Buffer.concat([BLOB, Buffer.from([0])]), CTX), 'DECRYPTION_FAILED');
  });

  it.each([0, 2, 255])('unknown format version %i gives CIPHERTEXT_UNSUPPORTED_FORMAT', (version) => {
    const bad = Buffer.from(BLOB);
    bad[0] = version;
    const err = expectCode(() => open(KEY_A, bad, CTX), 'CIPHERTEXT_UNSUPPORTED_FORMAT');
    expect(err.message).toContain(String(version));
    expectCode(() => readKeyId(bad), 'CIPHERTEXT_UNSUPPORTED_FORMAT');
  });

  it('a wrong key gives DECRYPTION_FAILED', () => {
    expectCode(() => open(KEY_B, BLOB, CTX), 'DECRYPTION_FAILED');
    expectCode(() => open(flip(KEY_A, 31, 7), BLOB, CTX), 'DECRYPTION_FAILED');
  });
});

describe('context binding', () => {
  const base: CipherContext = { purpose: 'value', tenant: 'acme', secret: 'sec_1', version: 2 };
  const blob = seal(KEY_A, 0, Buffer.from('bound'), base);

  it.each<[string, CipherContext]>([
    ['different tenant', { ...base, tenant: 'globex' }],
    ['tenant differing only in case', { ...base, tenant: 'ACME' }],
    ['different secret', { ...base, secret: 'sec_2' }],
    ['missing secret', { purpose: 'value', tenant: 'acme', version: 2 }],
    ['different version', { ...base, version: 3 }],
    ['version 0', { ...base, version: 0 }],
    ['purpose data-key', { ...base, purpose: 'data-key' }],
    ['purpose mask', { ...base, purpose: 'mask' }],
    ['purpose tenant-key', { ...base, purpose: 'tenant-key' }],
    ['tenant and secret swapped', { ...base, tenant: 'sec_1', secret: 'acme' }],
  ])('%s does not decrypt', (_label, ctx) => {
    expect(open(KEY_A, blob, base).toString()).toBe('bound');
    expectCode(() => open(KEY_A, blob, ctx), 'DECRYPTION_FAILED');
  });

  it('tenant/secret boundary: tenant "ab" secret "c" does not open as tenant "a" secret "bc"', () => {
    const ab: CipherContext = { purpose: 'value', tenant: 'ab', secret: 'c', version: 1 };
    const a: CipherContext = { purpose: 'value', tenant: 'a', secret: 'bc', version: 1 };
    const sealed = seal(KEY_A, 0, Buffer.from('x'), ab);
    expectCode(() => open(KEY_A, sealed, a), 'DECRYPTION_FAILED');
    expectCode(() => open(KEY_A, seal(KEY_A, 0, Buffer.from('x'), a), ab), 'DECRYPTION_FAILED');
    expect(encodeContext(ab).equals(encodeContext(a))).toBe(false);
  });

  it('purpose/tenant boundary: purpose text cannot bleed into the tenant', () => {
    const x = { purpose: 'value', tenant: 'ab', version: 1 } as CipherContext;
    const y = { purpose: 'valuea', tenant: 'b', version: 1 } as unknown as CipherContext;
    expect(encodeContext(x).equals(encodeContext(y))).toBe(false);
  });

  it('a wrapped data key cannot be moved to another secret, tenant or version', () => {
    const tenantKey = KEY_B;
    const dataKey1 = Buffer.alloc(32, 0x11);
    const dataKey2 = Buffer.alloc(32, 0x22);
    const ctx1: CipherContext = { purpose: 'data-key', tenant: 'acme', secret: 'sec_1', version: 1 };
    const ctx2: CipherContext = { purpose: 'data-key', tenant: 'acme', secret: 'sec_2', version: 1 };
    const wrapped1 = seal(tenantKey, 4, dataKey1, ctx1);
    const wrapped2 = seal(tenantKey, 4, dataKey2, ctx2);
    expect(open(tenantKey, wrapped1, ctx1).equals(dataKey1)).toBe(true);
    expect(open(tenantKey, wrapped2, ctx2).equals(dataKey2)).toBe(true);
    // Swap the wrapped key blobs between the two secrets.
    expectCode(() => open(tenantKey, wrapped1, ctx2), 'DECRYPTION_FAILED');
    expectCode(() => open(tenantKey, wrapped2, ctx1), 'DECRYPTION_FAILED');
    expectCode(() => open(tenantKey, wrapped1, { ...ctx1, tenant: 'globex' }), 'DECRYPTION_FAILED');
    expectCode(() => open(tenantKey, wrapped1, { ...ctx1, version: 2 }), 'DECRYPTION_FAILED');
    // A wrapped data key cannot be read as a value or a mask.
    expectCode(() => open(tenantKey, wrapped1, { ...ctx1, purpose: 'value' }), 'DECRYPTION_FAILED');
    expectCode(() => open(tenantKey, wrapped1, { ...ctx1, purpose: 'mask' }), 'DECRYPTION_FAILED');
  });

  it('a wrapped tenant key cannot be moved to another tenant or tenant key version', () => {
    const rootKey = KEY_A;
    const ctx: CipherContext = { purpose: 'tenant-key', tenant: 'acme', version: 1 };
    const wrapped = seal(rootKey, 0xdeadbeef, KEY_B, ctx);
    expect(open(rootKey, wrapped, ctx).equals(KEY_B)).toBe(true);
    expectCode(() => open(rootKey, wrapped, { ...ctx, tenant: 'globex' }), 'DECRYPTION_FAILED');
    expectCode(() => open(rootKey, wrapped, { ...ctx, version: 2 }), 'DECRYPTION_FAILED');
    expectCode(() => open(rootKey, wrapped, { ...ctx, purpose: 'data-key' }), 'DECRYPTION_FAILED');
  });

  it('a value blob of one version cannot be served as another version', () => {
    const dataKey = Buffer.alloc(32, 0x33);
    const v1: CipherContext = { purpose: 'value', tenant: 'acme', secret: 'sec_1', version: 1 };
    const v2: CipherContext = { ...v1, version: 2 };
    const blob1 = seal(dataKey, 0, Buffer.from('old'), v1);
    const blob2 = seal(dataKey, 0, Buffer.from('new'), v2);
    expectCode(() => open(dataKey, blob1, v2), 'DECRYPTION_FAILED');
    expectCode(() => open(dataKey, blob2, v1), 'DECRYPTION_FAILED');
  });
});

describe('errors do not leak keys or plaintext', () => {
  const CANARY = 'CANARY-plaintext-7f3a9c-do-not-leak';
  const key = Buffer.from('c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee0001', 'hex');
  const ctx: CipherContext = { purpose: 'value', tenant: 'acme', secret: 'sec_canary', version: 1 };
  const blob = seal(key, 7, Buffer.from(CANARY), ctx);

  const forbidden = [
    CANARY,
    'CANARY',
    key.toString('hex'),
    key.toString('base64'),
    key.toString('base64url'),
    KEY_B.toString('hex'),
    KEY_B.toString('base64'),
  ];

  const failures: [string, () => unknown][] = [
    ['wrong key', () => open(KEY_B, blob, ctx)],
    ['wrong context', () => open(key, blob, { ...ctx, version: 2 })],
    ['flipped tag', () => open(key, flip(blob, blob.length - 1, 0), ctx)],
    ['flipped ciphertext', () => open(key, flip(blob, 20, 3), ctx)],
    ['truncated', () => open(key, blob.subarray(0, 20), ctx)],
    ['unknown format', () => open(key, flip(blob, 0, 1), ctx)],
    ['short key', () => open(key.subarray(0, 31), blob, ctx)],
    ['seal with short key', () => seal(key.subarray(0, 16), 1, Buffer.from(CANARY), ctx)],
  ];

  it.each(failures)('%s: CofferError with no key or plaintext in message, JSON or stack', (_label, fn) => {
    const err = thrown(fn);
    expect(err).toBeInstanceOf(CofferError);
    const e = err as CofferError;
    expect(e.name).toBe('CofferError');
    const json = JSON.stringify(e);
    expect(JSON.parse(json)).toMatchObject({ name: 'CofferError', code: e.code });
    for (const text of [e.message, json, String(e), e.stack ?? '', JSON.stringify(e.details ?? {})]) {
      for (const bad of forbidden) expect(text).not.toContain(bad);
    }
  });
});

describe('encodeContext', () => {
  it('has the documented layout', () => {
    const enc = encodeContext({ purpose: 'mask', tenant: 'ab', secret: 'c', version: 0x01020304 });
    expect(enc.toString('hex')).toBe(
      Buffer.concat([
        Buffer.from('coffer\0', 'latin1'),
        Buffer.from([0, 4]),
        Buffer.from('mask'),
        Buffer.from([0, 2]),
        Buffer.from('ab'),
        Buffer.from([0, 1]),
        Buffer.from('c'),
        Buffer.from([1, 2, 3, 4]),
      ]).toString('hex'),
    );
  });

  it('treats a missing secret as the empty secret', () => {
    expect(encodeContext({ purpose: 'tenant-key', tenant: 't', version: 1 }).equals(
      encodeContext({ purpose: 'tenant-key', tenant: 't', secret: '', version: 1 }),
    )).toBe(true);
  });

  it('measures field lengths in UTF-8 bytes', () => {
    const enc = encodeContext({ purpose: 'value', tenant: 'é', secret: '🔑', version: 1 });
    // label(7) + 2+5 + 2+2 + 2+4 + 4
    expect(enc.length).toBe(7 + 2 + 5 + 2 + 2 + 2 + 4 + 4);
  });

  it('refuses versions that are not u32 and fields longer than 65535 bytes', () => {
    for (const version of [-1, 0x100000000, 1.5, Number.NaN]) {
      expectCode(() => encodeContext({ ...CTX, version }), 'INVALID_ARGUMENT');
    }
    expect(() => encodeContext({ ...CTX, version: 0xffffffff })).not.toThrow();
    expect(() => encodeContext({ ...CTX, tenant: 'x'.repeat(0xffff) })).not.toThrow();
    expectCode(() => encodeContext({ ...CTX, tenant: 'x'.repeat(0x10000) }), 'INVALID_ARGUMENT');
    expectCode(() => encodeContext({ ...CTX, secret: 'é'.repeat(0x8000) }), 'INVALID_ARGUMENT');
  });

  it('is unambiguous: different contexts give different encodings (property)', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('', 'a', 'ab', 'b', 'bc', 'c', '\u0000', '\u0000\u0001', 'é'),
    );
    const context = fc.record({
      purpose: fc.constantFrom<Purpose>(...PURPOSES),
      tenant: field,
      secret: field,
      version: fc.oneof(fc.constantFrom(0, 1, 2, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
    });
    fc.assert(
      fc.property(context, context, (x, y) => {
        const same = x.purpose === y.purpose && x.tenant === y.tenant && x.secret === y.secret && x.version === y.version;
        expect(encodeContext(x).equals(encodeContext(y))).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });

  it('decoding the encoding gives back the context (property)', () => {
    const context = fc.record({
      purpose: fc.constantFrom<Purpose>(...PURPOSES),
      tenant: fc.string({ maxLength: 20, unit: 'grapheme' }),
      secret: fc.string({ maxLength: 20, unit: 'grapheme' }),
      version: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(context, (ctx) => {
        const enc = encodeContext(ctx);
        expect(enc.subarray(0, 7).toString('latin1')).toBe('coffer\0');
        let o = 7;
        const parts: string[] = [];
        for (let i = 0; i < 3; i++) {
          const len = enc.readUInt16BE(o);
          parts.push(enc.toString('utf8', o + 2, o + 2 + len));
          o += 2 + len;
        }
        expect(parts).toEqual([ctx.purpose, ctx.tenant, ctx.secret]);
        expect(enc.readUInt32BE(o)).toBe(ctx.version);
        expect(o + 4).toBe(enc.length);
      }),
    );
  });
});
