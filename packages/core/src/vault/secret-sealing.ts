/**
 * A secret version's encryption, outside any transaction: checking and encoding a write,
 * sealing a new version under a fresh data key, opening a value. Every plaintext buffer made
 * here is zeroed once used, failures included.
 */
import type { SecretVersionsTable } from '../store/schema.js';
import { open, seal, type CipherContext } from '../crypto/envelope.js';
import { generateKey } from '../crypto/key-check.js';
import { maskValue } from './masking.js';
import type { PutOptions } from './secret-types.js';
import { checkCas, checkMaxVersions, checkMetadata, checkSecretName, checkSecretType, checkTenantId, checkValueShape, decodeValue, encodeValue, type SecretType, type SecretValue } from './values.js';

export const ctx = (purpose: CipherContext['purpose'], tenant: string, secret: string, version: number): CipherContext => ({
  purpose,
  tenant,
  secret,
  version,
});

export interface PreparedWrite {
  tenant: string;
  name: string;
  value: SecretValue;
  type: SecretType | undefined;
  metadata: string | undefined;
  cas: number | undefined;
  maxVersions: number | undefined;
  payload: Buffer;
  maskJson: Buffer;
}

/** Everything about a write that can be checked and encoded before a transaction is opened. */
export function prepareWrite(tenant: string, name: string, value: SecretValue, options: Omit<PutOptions, 'as'>): PreparedWrite {
  checkTenantId(tenant);
  checkSecretName(name);
  const type = options.type === undefined ? undefined : checkSecretType(options.type);
  const metadata = options.metadata === undefined ? undefined : checkMetadata(options.metadata);
  const cas = options.cas === undefined ? undefined : checkCas(options.cas);
  const maxVersions = options.maxVersions === undefined ? undefined : checkMaxVersions(options.maxVersions);
  const payload = encodeValue(value);
  let maskJson: Buffer | undefined;
  try {
    maskJson = Buffer.from(JSON.stringify(maskValue(value)));
    if (type !== undefined) checkValueShape(value, type);
  } catch (err) {
    // Refused after encoding: the encoded value (and its mask) go no further, so wipe them now.
    payload.fill(0);
    maskJson?.fill(0);
    throw err;
  }
  return { tenant, name, value, type, metadata, cas, maxVersions, payload, maskJson };
}

/** Zeroes a write's plaintext buffers once it is done (or failed). */
export function wipe(write: PreparedWrite): void {
  write.payload.fill(0);
  write.maskJson.fill(0);
}

/** A new version's row: a fresh data key wraps the value and its mask, and is zeroed whatever happens. */
export function sealVersion(tenantKey: { version: number; key: Buffer }, write: Pick<PreparedWrite, 'tenant' | 'payload' | 'maskJson'>, secretId: string, version: number, now: number): SecretVersionsTable {
  const dek = generateKey();
  try {
    return {
      secret_id: secretId,
      tenant_id: write.tenant,
      version,
      key_version: tenantKey.version,
      wrapped_dek: seal(tenantKey.key, tenantKey.version, dek, ctx('data-key', write.tenant, secretId, version)),
      ciphertext: seal(dek, 0, write.payload, ctx('value', write.tenant, secretId, version)),
      masked: seal(dek, 0, write.maskJson, ctx('mask', write.tenant, secretId, version)),
      state: 'active',
      created_at: now,
      deleted_at: null,
      destroyed_at: null,
    };
  } finally {
    dek.fill(0);
  }
}

/** Decrypts and decodes a value; the decrypted bytes are zeroed even when decoding fails. */
export function openValue(dek: Buffer, ciphertext: Buffer, context: CipherContext): SecretValue {
  const payload = open(dek, ciphertext, context);
  try {
    return decodeValue(payload);
  } finally {
    payload.fill(0);
  }
}
