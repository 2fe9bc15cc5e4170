/**
 * Data keys and the plaintext they protect live in buffers no longer than their use: after a
 * write, a reveal, a masked read or a failure in between, every data key the vault made or
 * unwrapped, every decrypted value and mask, and every encoded value it sealed, is zeroed.
 *
 * The crypto module is wrapped (not replaced) to see the buffers: `generateKey`, `open` and
 * `encodeValue` record what they return, `seal` what it was given, and a test can make one
 * call fail.
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import type { CipherContext } from '../src/crypto/envelope.js';
import type { Coffer } from '../src/index.js';
import type { Store } from '../src/store/database.js';
import { forEachBackend } from './support/backends.js';
import { expectCode, openCoffer, tenantId } from './helpers.js';

const seen = vi.hoisted(() => ({
  generated: [] as Buffer[],
  encoded: [] as Buffer[],
  opened: [] as { purpose: string; buf: Buffer }[],
  sealed: [] as { purpose: string; buf: Buffer }[],
  /** One-shot faults: the next seal of this purpose throws; the next open of it returns these bytes. */
  failSeal: undefined as string | undefined,
  replaceOpen: undefined as { purpose: string; bytes: Buffer } | undefined,
}));

vi.mock('../src/crypto/key-check.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/crypto/key-check.js')>();
  return {
    ...actual,
    generateKey: () => {
      const key = actual.generateKey();
      seen.generated.push(key);
      return key;
    },
  };
});

vi.mock('../src/vault/values.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/vault/values.js')>();
  return {
    ...actual,
    encodeValue: (value: unknown) => {
      const out = actual.encodeValue(value);
      seen.encoded.push(out);
      return out;
    },
  };
});

vi.mock('../src/crypto/envelope.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/crypto/envelope.js')>();
  return {
    ...actual,
    seal: (key: Buffer, keyId: number, plaintext: Buffer, ctx: CipherContext) => {
      if (seen.failSeal === ctx.purpose) {
        seen.failSeal = undefined;
        throw new Error(`injected failure sealing the ${ctx.purpose}`);
      }
      seen.sealed.push({ purpose: ctx.purpose, buf: plaintext });
      return actual.seal(key, keyId, plaintext, ctx);
    },
    open: (key: Buffer, blob: Uint8Array, ctx: CipherContext) => {
      let out = actual.open(key, blob, ctx);
      if (seen.replaceOpen?.purpose === ctx.purpose) {
        out.fill(0);
        out = Buffer.from(seen.replaceOpen.bytes);
        seen.replaceOpen = undefined;
      }
      seen.opened.push({ purpose: ctx.purpose, buf: out });
      return out;
    },
  };
});

const VAULT_PURPOSES = new Set(['data-key', 'value', 'mask']);
const isZero = (b: Buffer) => b.every((x) => x === 0);

/** Every vault buffer recorded since the last reset, with whether it is zero now. */
function vaultBuffers() {
  return {
    generated: seen.generated.map(isZero),
    opened: seen.opened.filter((o) => VAULT_PURPOSES.has(o.purpose)).map((o) => `${o.purpose}:${isZero(o.buf)}`),
    sealed: seen.sealed.filter((o) => o.purpose !== 'data-key' && VAULT_PURPOSES.has(o.purpose)).map((o) => `${o.purpose}:${isZero(o.buf)}`),
  };
}

forEachBackend('data keys and plaintext buffers are zeroed once used', (backend) => {
  let coffer: Coffer;
  let t: string;
  beforeAll(async () => {
    coffer = await openCoffer(backend());
    t = tenantId('dek');
    await coffer.tenants.create(t);
  });
  afterAll(async () => coffer?.close());
  beforeEach(() => {
    seen.generated.length = 0;
    seen.encoded.length = 0;
    seen.opened.length = 0;
    seen.sealed.length = 0;
  });

  it('a write zeroes its data key, its encoded value and its mask', async () => {
    await coffer.secrets.put(t, 'w', { client_id: 'id-123456', client_secret: 'zeroed-after-use-0001' });
    const b = vaultBuffers();
    expect(b.generated).toEqual([true]);
    expect(b.sealed.sort()).toEqual(['mask:true', 'value:true']);
  });

  it('a reveal, a masked read, a version list and a batch reveal zero every data key, value and mask they decrypt', async () => {
    await coffer.secrets.put(t, 'r', 'sk_live_zeroed-after-use-0002');
    await coffer.secrets.put(t, 'r', 'sk_live_zeroed-after-use-0003');
    seen.opened.length = 0;
    expect((await coffer.secrets.reveal(t, 'r')).value).toBe('sk_live_zeroed-after-use-0003');
    expect((await coffer.secrets.reveal(t, 'r', { version: 1 })).value).toBe('sk_live_zeroed-after-use-0002');
    await coffer.secrets.get(t, 'r');
    await coffer.secrets.list(t);
    await coffer.secrets.versions(t, 'r');
    expect((await coffer.secrets.revealMany([{ tenant: t, name: 'r' }])).size).toBe(1);
    const opened = vaultBuffers().opened;
    expect(opened.filter((o) => o.startsWith('value:'))).toHaveLength(3);
    expect(opened.filter((o) => o.startsWith('mask:')).length).toBeGreaterThanOrEqual(4);
    expect(opened.filter((o) => o.endsWith(':false'))).toEqual([]);
  });

  it('a write that fails after its data key was made still zeroes the key and the plaintext', async () => {
    seen.failSeal = 'mask';
    await expect(coffer.secrets.put(t, 'fails', 'zeroed-after-use-0004')).rejects.toThrow('injected failure sealing the mask');
    const b = vaultBuffers();
    expect(b.generated).toEqual([true]);
    expect(b.sealed).toEqual(['value:true']);
    await expectCode(coffer.secrets.get(t, 'fails'), 'SECRET_NOT_FOUND');
  });

  it('a write refused after its value was encoded (a shape check, a later item of a batch) zeroes the encodings', async () => {
    await expectCode(coffer.secrets.put(t, 'shape', 'zeroed-after-use-0006', { type: 'basic' }), 'SECRET_VALUE_INVALID');
    expect(seen.encoded.map(isZero)).toEqual([true]);

    seen.encoded.length = 0;
    await coffer.secrets.put(t, 'batch', 'zeroed-after-use-0007');
    const store = (coffer.secrets as unknown as { store: Store }).store;
    await expectCode(
      store.writeTransaction((trx) =>
        coffer.secrets.putManyWithin(trx, [
          { tenant: t, name: 'batch', value: 'zeroed-after-use-0008' },
          { tenant: t, name: 'batch', value: 'zeroed-after-use-0009', type: 'basic' },
        ]),
      ),
      'SECRET_VALUE_INVALID',
    );
    expect(seen.encoded.map(isZero)).toEqual([true, true, true]);
  });

  it('a reveal whose decrypted bytes do not decode still zeroes them and the data key', async () => {
    await coffer.secrets.put(t, 'odd', 'zeroed-after-use-0005');
    seen.opened.length = 0;
    // A kind byte no version of Coffer writes: decoding fails after decryption succeeded.
    seen.replaceOpen = { purpose: 'value', bytes: Buffer.from('\u0009zeroed-after-use-0005') };
    await expectCode(coffer.secrets.reveal(t, 'odd'), 'CIPHERTEXT_MALFORMED');
    expect(vaultBuffers().opened).toEqual(['data-key:true', 'value:true']);
  });
});
