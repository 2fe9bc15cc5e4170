/**
 * Ciphertexts are bound to their place: moving a blob to another version, secret or tenant, or
 * swapping wrapped tenant keys, must fail authentication (DECRYPTION_FAILED) without leaking
 * plaintext. Every tamper is undone afterwards and the value must read again, which shows the
 * failure came from the tamper and nothing else.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Coffer, ErrorCode } from '../src/index.js';
import { forEachBackend } from './support/backends.js';
import { errorText, expectCode, hex, openCoffer, rawDb, secretIdOf, tenantId, versionRow, type RawDb, type VersionBlobs } from './helpers.js';

forEachBackend('tamper', (backend) => {
  let coffer: Coffer;
  let db: RawDb;
  const ta = tenantId('tamper-a');
  const tb = tenantId('tamper-b');
  const plain = {
    alpha1: `alpha-one-${hex(12)}`,
    alpha2: `alpha-two-${hex(12)}`,
    beta1: `beta-one-${hex(12)}`,
    gamma1: { user: `gamma-user-${hex(6)}`, pass: `gamma-pass-${hex(12)}` },
  };
  const everyPlaintext = [plain.alpha1, plain.alpha2, plain.beta1, plain.gamma1.user, plain.gamma1.pass];

  beforeAll(async () => {
    coffer = await openCoffer(backend());
    db = await rawDb(backend());
    await coffer.tenants.create(ta);
    await coffer.tenants.create(tb);
    await coffer.secrets.put(ta, 'alpha', plain.alpha1);
    await coffer.secrets.put(ta, 'alpha', plain.alpha2);
    await coffer.secrets.put(ta, 'beta', plain.beta1);
    await coffer.secrets.put(tb, 'gamma', plain.gamma1);
  });
  afterAll(async () => {
    await db?.close();
    await coffer?.close();
  });

  /** Writes blobs into a version row. */
  async function writeBlobs(tenant: string, name: string, version: number, blobs: Partial<Pick<VersionBlobs, 'wrapped_dek' | 'ciphertext' | 'masked' | 'key_version'>>): Promise<void> {
    const id = await secretIdOf(db, tenant, name);
    const cols = Object.keys(blobs);
    const changed = await db.run(`update secret_versions set ${cols.map((c) => `${c} = ?`).join(', ')} where secret_id = ? and version = ?`, [...Object.values(blobs), id, version]);
    expect(changed).toBe(1);
  }

  /** Reveals with a fresh instance (no cached tenant keys) and expects `code` without plaintext in the error. */
  async function expectRevealFails(tenant: string, name: string, version: number, code: ErrorCode = 'DECRYPTION_FAILED', alsoCached = true): Promise<void> {
    const fresh = await openCoffer(backend());
    try {
      const err = await expectCode(fresh.secrets.reveal(tenant, name, { version }), code);
      const text = errorText(err);
      for (const p of everyPlaintext) expect(text).not.toContain(p);
      if (!alsoCached) return;
      // also through the long-lived instance, whatever it has cached
      const err2 = await expectCode(coffer.secrets.reveal(tenant, name, { version }), code);
      for (const p of everyPlaintext) expect(errorText(err2)).not.toContain(p);
    } finally {
      await fresh.close();
    }
  }

  async function expectReadable(tenant: string, name: string, version: number, value: unknown): Promise<void> {
    const fresh = await openCoffer(backend());
    try {
      expect((await fresh.secrets.reveal(tenant, name, { version })).value).toEqual(value);
    } finally {
      await fresh.close();
    }
  }

  /** Runs a tamper, checks the failure, restores the row and checks it reads again. */
  async function tamperAndRestore(target: { tenant: string; name: string; version: number; value: unknown }, blobs: Partial<VersionBlobs>, code: ErrorCode = 'DECRYPTION_FAILED'): Promise<void> {
    const original = await versionRow(db, target.tenant, target.name, target.version);
    await writeBlobs(target.tenant, target.name, target.version, blobs);
    try {
      await expectRevealFails(target.tenant, target.name, target.version, code);
    } finally {
      await writeBlobs(target.tenant, target.name, target.version, {
        wrapped_dek: original.wrapped_dek,
        ciphertext: original.ciphertext,
        masked: original.masked,
        key_version: original.key_version,
      });
    }
    await expectReadable(target.tenant, target.name, target.version, target.value);
  }

  it('reads everything before tampering', async () => {
    await expectReadable(ta, 'alpha', 1, plain.alpha1);
    await expectReadable(ta, 'alpha', 2, plain.alpha2);
    await expectReadable(ta, 'beta', 1, plain.beta1);
    await expectReadable(tb, 'gamma', 1, plain.gamma1);
  });

  it('version 1 ciphertext copied into version 2 of the same secret fails', async () => {
    const v1 = await versionRow(db, ta, 'alpha', 1);
    const target = { tenant: ta, name: 'alpha', version: 2, value: plain.alpha2 };
    // the value alone (data key of v2 stays)
    await tamperAndRestore(target, { ciphertext: v1.ciphertext });
    // the wrapped data key alone
    await tamperAndRestore(target, { wrapped_dek: v1.wrapped_dek });
    // the whole envelope
    await tamperAndRestore(target, { wrapped_dek: v1.wrapped_dek, ciphertext: v1.ciphertext, masked: v1.masked, key_version: v1.key_version });
  });

  it('a ciphertext copied from secret alpha into secret beta fails', async () => {
    const src = await versionRow(db, ta, 'alpha', 1);
    const target = { tenant: ta, name: 'beta', version: 1, value: plain.beta1 };
    await tamperAndRestore(target, { ciphertext: src.ciphertext });
    await tamperAndRestore(target, { wrapped_dek: src.wrapped_dek, ciphertext: src.ciphertext, masked: src.masked, key_version: src.key_version });
  });

  it('a ciphertext copied from tenant A into tenant B fails', async () => {
    const src = await versionRow(db, ta, 'alpha', 1);
    const target = { tenant: tb, name: 'gamma', version: 1, value: plain.gamma1 };
    await tamperAndRestore(target, { ciphertext: src.ciphertext });
    await tamperAndRestore(target, { wrapped_dek: src.wrapped_dek, ciphertext: src.ciphertext, masked: src.masked, key_version: src.key_version });
  });

  it('a tampered masked blob fails for get/list/versions, and the value itself still reads', async () => {
    const v1 = await versionRow(db, ta, 'alpha', 1);
    const original = await versionRow(db, ta, 'alpha', 2);
    await writeBlobs(ta, 'alpha', 2, { masked: v1.masked });
    const fresh = await openCoffer(backend());
    try {
      for (const err of [
        await expectCode(fresh.secrets.get(ta, 'alpha'), 'DECRYPTION_FAILED'),
        await expectCode(fresh.secrets.list(ta), 'DECRYPTION_FAILED'),
        await expectCode(fresh.secrets.versions(ta, 'alpha'), 'DECRYPTION_FAILED'),
      ]) {
        for (const p of everyPlaintext) expect(errorText(err)).not.toContain(p);
      }
      expect((await fresh.secrets.reveal(ta, 'alpha')).value).toBe(plain.alpha2);
    } finally {
      await fresh.close();
      await writeBlobs(ta, 'alpha', 2, { masked: original.masked });
    }
    expect((await coffer.secrets.get(ta, 'alpha')).masked).not.toBeNull();
  });

  it('flipped bits, a truncated blob and an unknown format version are refused', async () => {
    const target = { tenant: ta, name: 'beta', version: 1, value: plain.beta1 };
    const row = await versionRow(db, ta, 'beta', 1);
    const flipped = Buffer.from(row.ciphertext!);
    flipped[flipped.length - 20]! ^= 0x01;
    await tamperAndRestore(target, { ciphertext: flipped });
    const flippedDek = Buffer.from(row.wrapped_dek!);
    flippedDek[20]! ^= 0x80;
    await tamperAndRestore(target, { wrapped_dek: flippedDek });
    await tamperAndRestore(target, { ciphertext: row.ciphertext!.subarray(0, 10) }, 'CIPHERTEXT_MALFORMED');
    const format = Buffer.from(row.ciphertext!);
    format[0] = 0x7f;
    await tamperAndRestore(target, { ciphertext: format }, 'CIPHERTEXT_UNSUPPORTED_FORMAT');
    // the row naming another tenant key version than the one that wrapped its data key
    await coffer.keys.rotateTenantKey(ta);
    await tamperAndRestore(target, { key_version: 2 });
  });

  it('wrapped tenant keys swapped between tenants fail, in a fresh instance', async () => {
    const keysOf = (t: string) => db.all<{ version: number; wrapped_key: Buffer; root_key_id: number }>('select version, wrapped_key, root_key_id from tenant_keys where tenant_id = ? and version = 1', [t]);
    const [a] = await keysOf(ta);
    const [b] = await keysOf(tb);
    expect(a!.wrapped_key).toBeInstanceOf(Buffer);
    const setKey = (t: string, wrapped: Buffer) => db.run('update tenant_keys set wrapped_key = ? where tenant_id = ? and version = 1', [wrapped, t]);
    await setKey(ta, b!.wrapped_key);
    await setKey(tb, a!.wrapped_key);
    try {
      // fresh instances: nothing cached may hide the swap
      // (the long-lived instance legitimately holds the real keys in memory)
      await expectRevealFails(ta, 'alpha', 1, 'DECRYPTION_FAILED', false);
      await expectRevealFails(tb, 'gamma', 1, 'DECRYPTION_FAILED', false);
      const fresh = await openCoffer(backend());
      try {
        await expectCode(fresh.secrets.list(ta), 'DECRYPTION_FAILED');
        await expectCode(fresh.secrets.put(tb, 'gamma', 'new value under a swapped key'), 'DECRYPTION_FAILED');
      } finally {
        await fresh.close();
      }
    } finally {
      await setKey(ta, a!.wrapped_key);
      await setKey(tb, b!.wrapped_key);
    }
    await expectReadable(ta, 'alpha', 1, plain.alpha1);
    await expectReadable(tb, 'gamma', 1, plain.gamma1);
  });

  it('the same wrapped tenant key copied to another version of the same tenant fails', async () => {
    // ta has v1 and v2 by now (rotated above); put v1's wrapped key into v2's row
    const rows = await db.all<{ version: number; wrapped_key: Buffer }>('select version, wrapped_key from tenant_keys where tenant_id = ? order by version', [ta]);
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    await coffer.secrets.put(ta, 'delta', 'written-under-v2');
    await db.run('update tenant_keys set wrapped_key = ? where tenant_id = ? and version = 2', [rows[0]!.wrapped_key, ta]);
    try {
      const fresh = await openCoffer(backend());
      try {
        const err = await expectCode(fresh.secrets.reveal(ta, 'delta'), 'DECRYPTION_FAILED');
        expect(errorText(err)).not.toContain('written-under-v2');
      } finally {
        await fresh.close();
      }
    } finally {
      await db.run('update tenant_keys set wrapped_key = ? where tenant_id = ? and version = 2', [rows[1]!.wrapped_key, ta]);
    }
    await expectReadable(ta, 'delta', 1, 'written-under-v2');
  });
});
