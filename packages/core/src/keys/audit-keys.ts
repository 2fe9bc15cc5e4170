/**
 * The audit keys: random 32-byte keys that MAC the audit chain (see audit/audit-chain.ts),
 * versioned, stored in the main database wrapped by the root key, and rewrapped with the tenant
 * keys on a root rotation, so they work with any root key provider and the log stays verifiable
 * after an old root key is retired.
 *
 * They are unwrapped once at open and held until close, when they are zeroed.
 *
 * Each version also gives the Ed25519 key that signs audit checkpoints (audit/checkpoints.ts),
 * derived from it with HKDF: so the signing key needs no table, wrap, rewrap or retire logic of
 * its own, survives every root rotation unchanged, and is exactly as protected as the audit key.
 */
import { CofferError } from '../errors.js';
import { generateKey } from '../crypto/key-check.js';
import { deriveEd25519, type Ed25519KeyPair, type Ed25519PublicKey } from '../crypto/ed25519.js';
import type { AuditKey, AuditKeySet } from '../audit/audit-chain.js';
import type { Store } from '../store/database.js';
import type { Keyring } from './keyring.js';

/** HKDF info of the checkpoint signing key; a new derivation would be a new label (v2). */
const CHECKPOINT_SIGNING_INFO = 'coffer audit checkpoint signing key v1';

export class AuditKeys implements AuditKeySet {
  /** Public halves of the signing keys, per version: not secret, so kept once derived. */
  private readonly publicKeys = new Map<number, Ed25519PublicKey>();

  private constructor(
    private readonly keys: Map<number, AuditKey>,
    readonly current: AuditKey,
    readonly firstSeq: number,
  ) {}

  /**
   * Unwraps every audit key; makes version 1 first if there is none (a new vault, or one from
   * before audit keys: then its first keyed event follows the current head).
   */
  static async open(store: Store, keyring: Keyring): Promise<AuditKeys> {
    let rows = await store.db.selectFrom('audit_keys').selectAll().orderBy('version').execute();
    if (rows.length === 0) {
      await store.writeTransaction(async (trx) => {
        // Share-locked like a tenant key wrap, so a root switch cannot pass this wrap by.
        const root = await keyring.lockCurrentRoot(trx, 'share');
        if (root.id !== keyring.rootKeyId) keyring.useCurrentRoot(root.id);
        // The head is locked so that no event lands between reading it and the key existing.
        let q = trx.selectFrom('audit_head').select('seq').where('id', '=', 1);
        if (store.dialect === 'postgres') q = q.forUpdate();
        const head = await q.executeTakeFirst();
        if (!head) throw new CofferError('INTERNAL', 'The audit head row is missing.');
        const firstSeq = Number(head.seq);
        const key = generateKey();
        try {
          const wrapped = keyring.wrapAuditKey(1, firstSeq, key, root.id);
          await trx
            .insertInto('audit_keys')
            .values({ version: 1, root_key_id: root.id, wrapped_key: wrapped, first_seq: firstSeq, created_at: Date.now() })
            .onConflict((oc) => oc.doNothing())
            .execute();
        } finally {
          key.fill(0);
        }
      });
      rows = await store.db.selectFrom('audit_keys').selectAll().orderBy('version').execute();
    }
    const keys = new Map<number, AuditKey>();
    try {
      for (const r of rows) keys.set(r.version, { version: r.version, key: keyring.unwrapAuditKey(r.version, Number(r.first_seq), r.wrapped_key) });
    } catch (err) {
      for (const k of keys.values()) k.key.fill(0);
      throw err;
    }
    const newest = rows[rows.length - 1]!;
    return new AuditKeys(keys, keys.get(newest.version)!, Number(rows[0]!.first_seq));
  }

  get(version: number): AuditKey | undefined {
    return this.keys.get(version);
  }

  /** Every audit key version held, oldest first. */
  versions(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  /**
   * The checkpoint signing key of audit key `version`. Derived on each call and not kept: a
   * KeyObject cannot be zeroed at close, and a checkpoint a minute makes the derivation
   * (about a millisecond) nothing worth caching.
   */
  signingKey(version: number): Ed25519KeyPair {
    const key = this.keys.get(version);
    if (!key) throw new CofferError('KEY_NOT_FOUND', `Audit key version ${version} is not held (unknown, or the vault is closed).`);
    const pair = deriveEd25519(key.key, CHECKPOINT_SIGNING_INFO);
    this.publicKeys.set(version, { publicKey: pair.publicKey, keyId: pair.keyId });
    return pair;
  }

  /** The public checkpoint key of audit key `version`; undefined when that version is not held. */
  publicKey(version: number): Ed25519PublicKey | undefined {
    const known = this.publicKeys.get(version);
    if (known) return known;
    if (!this.keys.has(version)) return undefined;
    const { publicKey, keyId } = this.signingKey(version);
    return { publicKey, keyId };
  }

  /** Zeroes every audit key. Call it once nothing appends any more (after the database is closed). */
  close(): void {
    for (const k of this.keys.values()) k.key.fill(0);
    this.keys.clear();
    this.publicKeys.clear();
  }
}

/**
 * Rewraps every audit key not under root key `current` (a root rotation, in the same pass as the
 * tenant keys). Returns how many were rewrapped.
 */
export async function rewrapAuditKeys(store: Store, keyring: Keyring, current: number): Promise<number> {
  return store.writeTransaction(async (trx) => {
    const rows = await trx.selectFrom('audit_keys').selectAll().where('root_key_id', '<>', current).execute();
    for (const r of rows) {
      const key = keyring.unwrapAuditKey(r.version, Number(r.first_seq), r.wrapped_key);
      let wrapped: Buffer;
      try {
        wrapped = keyring.wrapAuditKey(r.version, Number(r.first_seq), key, current);
      } finally {
        key.fill(0);
      }
      await trx.updateTable('audit_keys').set({ wrapped_key: wrapped, root_key_id: current }).where('version', '=', r.version).where('root_key_id', '=', r.root_key_id).execute();
    }
    return rows.length;
  });
}
